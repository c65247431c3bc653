/** Artifact files: corruption and loss detected on load, the codec seam, sweeping unreferenced and temp files. */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isNsError } from '../../src/errors.ts';
import type { ArtifactCodec } from '../../src/registry/index.ts';
import { tempDir } from '../helpers/settings.ts';
import { artifactBytes, filesOf, newVersion, openRegistry } from '../fixtures/registry/registry-store.ts';

const T = 'tenant_1';
const M = 'failure';

const storeError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(isNsError(error), String(error));
  assert.equal(error.code, 'NS_STORE');
  assert.match(error.message, pattern);
  return true;
};

/** Not encryption: a stand-in that makes stored bytes differ from the plaintext. */
const xorCodec: ArtifactCodec = {
  name: 'xor',
  async *encode(_tenantId, plain) {
    for await (const chunk of plain) yield Buffer.from(chunk).map((b) => b ^ 0x5a);
  },
  decode: (_ref, stored) => Buffer.from(stored.map((b) => b ^ 0x5a)),
  reads: (name) => name === 'xor',
  isCurrent: () => true,
};

describe('registry artifacts', () => {
  test('a flipped byte is refused on load with an error naming the version and file; the previous champion still loads', async () => {
    const { registry, close } = await openRegistry({ dataDir: tempDir(), databaseUrl: null });
    try {
      const v1 = await registry.registerVersion(newVersion(T, M), artifactBytes('v1', 4096));
      const v2 = await registry.registerVersion(newVersion(T, M), artifactBytes('v2', 4096));
      await registry.promote(T, M, 1, { reason: 'first' });
      assert.deepEqual((await registry.loadChampion(T, M))?.bytes, artifactBytes('v1', 4096));
      await registry.promote(T, M, 2, { reason: 'better' });

      const file = filesOf(registry).pathOf(T, v2.artifact.sha256);
      const bytes = readFileSync(file);
      bytes[2000] = bytes[2000]! ^ 0x01;
      writeFileSync(file, bytes);
      const corrupted = new RegExp(`artifact of champion model "failure" version 2 \\(failure_tenant_1_v2\\) is corrupted: ${file} cannot be decoded \\(segment 0 fails authentication: .*\\); refusing to load it`);
      await assert.rejects(registry.loadChampion(T, M), storeError(corrupted));
      await assert.rejects(registry.loadArtifact(T, M, 2), storeError(/version 2 \(failure_tenant_1_v2\) is corrupted/));
      // What the caller keeps serving is still intact, and a rollback to it works.
      assert.deepEqual((await registry.loadArtifact(T, M, 1)).bytes, artifactBytes('v1', 4096));
      await registry.rollback(T, M, 1, { reason: `artifact of v2 corrupted` });
      assert.equal((await registry.loadChampion(T, M))?.version.version, 1);

      truncateSync(filesOf(registry).pathOf(T, v1.artifact.sha256), 100);
      await assert.rejects(registry.loadArtifact(T, M, 1), storeError(/version 1 \(failure_tenant_1_v1\) is corrupted/));
      rmSync(filesOf(registry).pathOf(T, v1.artifact.sha256));
      await assert.rejects(registry.loadArtifact(T, M, 1), storeError(/artifact of model "failure" version 1 \(failure_tenant_1_v1\) is missing: .*artifacts\/tenant_1\//));
    } finally {
      await close();
    }
  });

  test('a codec transforms what is stored; the hash is of the plaintext and is still verified', async () => {
    const { registry, close } = await openRegistry({ dataDir: tempDir(), databaseUrl: null }, { codec: xorCodec });
    try {
      const plain = artifactBytes('secret model', 1000);
      const v = await registry.registerVersion(newVersion(T, M), plain);
      const file = filesOf(registry).pathOf(T, v.artifact.sha256);
      assert.notDeepEqual(readFileSync(file), plain, 'stored bytes are encoded');
      assert.equal(v.artifact.size, 1000);
      assert.deepEqual((await registry.loadArtifact(T, M, 1)).bytes, plain);
      const stored = readFileSync(file);
      stored[10] = stored[10]! ^ 0xff;
      writeFileSync(file, stored);
      await assert.rejects(registry.loadArtifact(T, M, 1), storeError(/is corrupted/));
    } finally {
      await close();
    }
  });

  test('sweep removes old temp files and old unreferenced artifacts, never referenced or young ones', async () => {
    const { registry, close } = await openRegistry({ dataDir: tempDir(), databaseUrl: null });
    try {
      const kept = await registry.registerVersion(newVersion(T, M), artifactBytes('referenced'));
      // As a crash between placing the file and committing the version would leave them:
      const files = filesOf(registry);
      const orphanOld = await files.stage(T, artifactBytes('orphan old'));
      await files.placeFile(orphanOld);
      const orphanYoung = await files.stage('tenant_2', artifactBytes('orphan young'));
      await files.placeFile(orphanYoung);
      const tempOld = await files.stage(T, artifactBytes('interrupted'));
      const tempYoung = await files.stage(T, artifactBytes('in progress'));
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      for (const path of [filesOf(registry).pathOf(T, kept.artifact.sha256), filesOf(registry).pathOf(T, orphanOld.sha256), tempOld.tempPath]) {
        utimesSync(path, twoHoursAgo, twoHoursAgo);
      }
      assert.deepEqual(await registry.sweepArtifacts(), { tempFiles: 1, unreferenced: 1 });
      const left = [];
      for await (const f of files.list()) left.push(f.kind === 'temp' ? f.location : `${f.tenantId}/${f.sha256}`);
      assert.deepEqual(left.sort(), [`${T}/${kept.artifact.sha256}`, tempYoung.tempPath, `tenant_2/${orphanYoung.sha256}`].sort());
      assert.deepEqual((await registry.loadArtifact(T, M, 1)).bytes, artifactBytes('referenced'));
    } finally {
      await close();
    }
  });
});
