/**
 * Artifacts encrypted per tenant, on every storage (files with SQLite, files with PostgreSQL, rows in
 * PostgreSQL), as the service opens them (the data dir's master key):
 * - what is stored is not the plaintext, and carries the master key's id;
 * - a flipped byte, an artifact moved to another tenant, and a wrong master key are each refused
 *   with an NS_STORE error saying which;
 * - artifacts stored in plaintext before encryption still read (verified by hash);
 * - a master key rotation re-encrypts every artifact (plaintext ones too), a reader holding the old
 *   key file picks up the new key, and every version still loads afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, test } from 'node:test';
import { keyIdOf } from '../../src/crypto/artifact-cipher.ts';
import { isNsError } from '../../src/errors.ts';
import { createArtifactStorage, identityCodec, putArtifact, type ArtifactStorageKind } from '../../src/registry/index.ts';
import { artifactKeyring } from '../../src/registry/artifact-codec.ts';
import { rotateMasterKey } from '../../src/registry/rotate-master.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { tempDir } from '../helpers/settings.ts';
import { artifactBytes, filesOf, newVersion, openRegistry, type RegistryStore } from '../fixtures/registry/registry-store.ts';

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const M = 'failure';

const storeError = (pattern: RegExp, reason?: string) => (error: unknown) => {
  assert.ok(isNsError(error), `expected an NsError, got ${String(error)}`);
  assert.equal(error.code, 'NS_STORE', error.message);
  assert.match(error.message, pattern);
  if (reason) assert.equal(error.details?.reason, reason);
  return true;
};

/** The stored bytes of an artifact, whichever the storage. */
async function storedBytes(s: RegistryStore, tenantId: string, sha256: string): Promise<Buffer> {
  if (s.registry.artifacts.kind === 'file') return readFileSync(filesOf(s.registry).pathOf(tenantId, sha256));
  const rows = await s.db.k.selectFrom('artifact_chunks').select('bytes').where('tenant_id', '=', tenantId).where('sha256', '=', sha256).orderBy('seq').execute();
  return Buffer.concat(rows.map((r) => Buffer.from(r.bytes)));
}

/** Copies tenant `from`'s stored artifact, byte for byte, to tenant `to`'s place for the same hash. */
async function moveToTenant(s: RegistryStore, from: string, to: string, sha256: string): Promise<void> {
  if (s.registry.artifacts.kind === 'file') {
    const files = filesOf(s.registry);
    mkdirSync(dirname(files.pathOf(to, sha256)), { recursive: true });
    copyFileSync(files.pathOf(from, sha256), files.pathOf(to, sha256));
    return;
  }
  const head = await s.db.k.selectFrom('artifacts').selectAll().where('tenant_id', '=', from).where('sha256', '=', sha256).executeTakeFirstOrThrow();
  await s.db.k.insertInto('artifacts').values({ ...head, tenant_id: to }).execute();
  const chunks = await s.db.k.selectFrom('artifact_chunks').selectAll().where('tenant_id', '=', from).where('sha256', '=', sha256).execute();
  for (const c of chunks) await s.db.k.insertInto('artifact_chunks').values({ ...c, tenant_id: to }).execute();
}

const implementations: Array<{ name: string; target: Awaited<ReturnType<typeof storeTargets>>[number]; artifacts: ArtifactStorageKind }> = [];
for (const target of await storeTargets()) {
  implementations.push({ name: `file, ${target.name} store`, target, artifacts: 'file' });
  if (target.name === 'postgres') implementations.push({ name: 'postgres', target, artifacts: 'postgres' });
}

for (const impl of implementations) {
  describe(`artifact encryption (${impl.name})`, { skip: impl.target.skip && 'PostgreSQL unreachable' }, () => {
    test('stored encrypted; a flipped byte, a move to another tenant and a wrong master key are refused, each saying which', async () => {
      const t = await impl.target.make();
      const s = await openRegistry(t, { artifacts: impl.artifacts });
      try {
        const plain = artifactBytes('v1', 200_000);
        const v1 = await s.registry.registerVersion(newVersion('acme', M), plain);
        const stored = await storedBytes(s, 'acme', v1.artifact.sha256);
        assert.equal(stored.indexOf(plain.subarray(0, 64)), -1, 'no plaintext at rest');
        assert.equal(keyIdOf(stored), artifactKeyring({ dataDir: t.dataDir }).current.id);

        // Moved: the same bytes under another tenant.
        await moveToTenant(s, 'acme', 'globex', v1.artifact.sha256);
        await assert.rejects(s.registry.artifacts.read('globex', v1.artifact.sha256, 'the moved artifact'), storeError(/is corrupted: .*belongs to another tenant than "globex"/, 'tampered'));

        // Wrong master key: another data dir's key reading this store.
        const stranger = createArtifactStorage({ dataDir: tempDir(), artifacts: impl.artifacts }, s.db);
        if (impl.artifacts === 'file') {
          const path = filesOf(s.registry).pathOf('acme', v1.artifact.sha256);
          const elsewhere = (stranger as typeof s.registry.artifacts & { pathOf(t: string, h: string): string }).pathOf('acme', v1.artifact.sha256);
          mkdirSync(dirname(elsewhere), { recursive: true });
          copyFileSync(path, elsewhere);
        }
        await assert.rejects(stranger.read('acme', v1.artifact.sha256, 'v1'), storeError(/cannot be decrypted with the keys this process has: .*encrypted with master key [0-9a-f]{16}, which this process does not have/, 'wrong-key'));

        // Flipped byte.
        const v2 = await s.registry.registerVersion(newVersion('acme', M), artifactBytes('v2', 5000));
        await s.registry.promote('acme', M, 1, { reason: 'serving' });
        if (impl.artifacts === 'file') {
          const path = filesOf(s.registry).pathOf('acme', v2.artifact.sha256);
          const bytes = readFileSync(path);
          bytes[100] = bytes[100]! ^ 0x20;
          writeFileSync(path, bytes);
        } else {
          const row = await s.db.k.selectFrom('artifact_chunks').select('bytes').where('sha256', '=', v2.artifact.sha256).where('tenant_id', '=', 'acme').executeTakeFirstOrThrow();
          const bytes = Buffer.from(row.bytes);
          bytes[100] = bytes[100]! ^ 0x20;
          await s.db.k.updateTable('artifact_chunks').set({ bytes }).where('sha256', '=', v2.artifact.sha256).where('tenant_id', '=', 'acme').execute();
        }
        await assert.rejects(s.registry.loadArtifact('acme', M, 2), storeError(/version 2 .* is corrupted: .*segment 0 fails authentication/, 'tampered'));
        assert.deepEqual((await s.registry.loadChampion('acme', M))?.bytes, plain, 'the champion still loads');
      } finally {
        await s.close();
      }
    });

    test('plaintext artifacts from before encryption still read; a rotation re-encrypts everything and every version keeps loading', { timeout: 120_000 }, async () => {
      const t = await impl.target.make();
      const s = await openRegistry(t, { artifacts: impl.artifacts });
      // A reader opened before the rotation, as a running service is: its codec holds the old key.
      const running = await openRegistry(t, { artifacts: impl.artifacts });
      try {
        const legacy = createArtifactStorage({ dataDir: t.dataDir, artifacts: impl.artifacts }, s.db, identityCodec);
        const old = artifactBytes('written before encryption', 3000);
        await putArtifact(s.db, legacy, 'acme', old, Date.now());
        const versions = [];
        for (const [tenant, label] of [['acme', 'a1'], ['acme', 'a2'], ['globex', 'g1']] as const) {
          versions.push({ tenant, plain: artifactBytes(label, 70_000), v: await s.registry.registerVersion(newVersion(tenant, M), artifactBytes(label, 70_000)) });
        }
        assert.deepEqual(await s.registry.artifacts.read('acme', sha256Of(old), 'legacy'), old, 'plaintext still reads, verified by its hash');
        const before = artifactKeyring({ dataDir: t.dataDir }).current.id;

        const result = await rotateMasterKey({ db: s.db, settings: { dataDir: t.dataDir, artifacts: impl.artifacts } });
        assert.equal(result.previousKeyId, before);
        assert.notEqual(result.keyId, before);
        assert.deepEqual([result.rewritten, result.alreadyCurrent, result.problems], [4, 0, []]);
        for (const { tenant, v } of versions) assert.equal(keyIdOf(await storedBytes(s, tenant, v.artifact.sha256)), result.keyId);
        assert.equal(keyIdOf(await storedBytes(s, 'acme', sha256Of(old))), result.keyId, 'the plaintext one is encrypted now');

        // Every version loads: through the running reader (re-reads the key file) and a fresh one.
        const fresh = await openRegistry(t, { artifacts: impl.artifacts });
        try {
          for (const { tenant, plain, v } of versions) {
            for (const r of [running.registry, fresh.registry]) assert.deepEqual((await r.loadArtifact(tenant, M, v.version)).bytes, plain);
          }
        } finally {
          await fresh.close();
        }

        const again = await rotateMasterKey({ db: s.db, settings: { dataDir: t.dataDir, artifacts: impl.artifacts }, forgetPrevious: true });
        assert.deepEqual([again.rewritten, again.problems.length, again.forgotten], [4, 0, 2]);
        assert.deepEqual(artifactKeyring({ dataDir: t.dataDir }).ids, [again.keyId], 'only the current key is left');
        const last = await openRegistry(t, { artifacts: impl.artifacts });
        try {
          assert.deepEqual((await last.registry.loadArtifact('globex', M, 1)).bytes, versions[2]!.plain);
        } finally {
          await last.close();
        }
      } finally {
        await running.close();
        await s.close();
      }
    });
  });
}
