/**
 * kill -9 while a registration streams its artifact: no version and no visible artifact. With files
 * the sweep removes the temp file; with PostgreSQL storage nothing was written before the version's
 * transaction, so no row is left at all.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ArtifactStorageKind, ModelRegistry } from '../../src/registry/index.ts';
import { storeTargets, type StoreTarget } from '../helpers/dialects.ts';
import { artifactBytes, newVersion, openRegistry } from '../fixtures/registry/registry-store.ts';

const CHILD = join(import.meta.dirname, '..', 'fixtures', 'registry', 'slow-register.ts');

async function itemsOf(registry: ModelRegistry) {
  const items = [];
  for await (const f of registry.artifacts.list()) items.push(f);
  return items;
}

/** Starts a child registering a slow, large artifact and kills it with SIGKILL once it is writing. */
async function killMidWrite(t: StoreTarget, artifacts: ArtifactStorageKind, whileWriting: () => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, t.dataDir, t.databaseUrl ?? '-', artifacts], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('writing')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited before writing: ${out}`)));
  });
  await whileWriting();
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `killed (exit ${String(code)})`);
  assert.ok(!out.includes('registered'));
}

for (const target of await storeTargets()) {
  const kinds: ArtifactStorageKind[] = target.name === 'postgres' ? ['file', 'postgres'] : ['file'];
  for (const artifacts of kinds) {
    describe(`registry under kill -9 (${target.name} store, ${artifacts} artifacts)`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
      test('SIGKILL during artifact writing leaves no version row and no visible artifact', { timeout: 30_000 }, async () => {
        const t = await target.make();
        const { db, registry, close } = await openRegistry(t, { artifacts });
        try {
          await killMidWrite(t, artifacts, async () => {
            const before = await itemsOf(registry);
            if (artifacts === 'file') {
              assert.equal(before.length, 1, 'the write is in progress');
              assert.equal(before[0]?.kind, 'temp', 'only as a hidden temp file');
              assert.ok(statSync(before[0]!.location).size > 0);
            } else {
              assert.deepEqual(before, [], 'staged in the writer, nothing in the database yet');
            }
          });

          const rows = await db.k.selectFrom('model_versions').selectAll().execute();
          assert.deepEqual(rows, [], 'no version row');
          assert.equal(await registry.champion('tenant_1', 'failure'), null);
          assert.deepEqual((await itemsOf(registry)).filter((f) => f.kind === 'artifact'), [], 'no visible artifact');
          assert.deepEqual(await db.k.selectFrom('artifact_chunks').select('seq').execute(), [], 'no artifact bytes in the database');

          if (artifacts === 'file') {
            assert.deepEqual(await registry.sweepArtifacts(60 * 60_000), { tempFiles: 0, unreferenced: 0 }, 'a fresh temp file is left to its writer');
            assert.deepEqual(await registry.sweepArtifacts(0), { tempFiles: 1, unreferenced: 0 });
          } else {
            assert.deepEqual(await registry.sweepArtifacts(0), { tempFiles: 0, unreferenced: 0 });
          }
          assert.deepEqual(await itemsOf(registry), []);

          const v = await registry.registerVersion(newVersion('tenant_1', 'failure'), artifactBytes('after the crash'));
          assert.equal(v.version, 1, 'the crashed registration used no number');
          assert.deepEqual((await registry.loadArtifact('tenant_1', 'failure', 1)).bytes, artifactBytes('after the crash'));
        } finally {
          await close();
        }
      });
    });
  }
}
