/**
 * Two nodes, one PostgreSQL store, artifacts in PostgreSQL (the default with DATABASE_URL), each node
 * with its own data dir: what one registers, the other loads, serves, rolls back to and continues
 * from. No artifact file is written on either node.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createArtifactStorage, ModelRegistry } from '../../src/registry/index.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { makeSettings, tempDir, tempDirSharingKey } from '../helpers/settings.ts';
import { artifactBytes, newVersion } from '../fixtures/registry/registry-store.ts';

const T = 'tenant_1';
const M = 'failure';
const postgres = (await storeTargets()).find((t) => t.name === 'postgres')!;

/** A node as the service builds it: its own data dir and pool, storage chosen from its settings. */
async function node(databaseUrl: string, keyFrom?: string): Promise<{ dataDir: string; db: Db; registry: ModelRegistry }> {
  // The nodes of a cluster share the master key (NIGHTSHIFT_MASTER_KEY), not the data dir.
  const settings = makeSettings({ dataDir: keyFrom ? tempDirSharingKey(keyFrom) : tempDir(), databaseUrl });
  assert.equal(settings.artifacts, 'postgres', 'the default with DATABASE_URL');
  const db = await openDb({ dataDir: settings.dataDir, databaseUrl, poolSize: 2 });
  await migrate(db);
  return { dataDir: settings.dataDir, db, registry: new ModelRegistry({ db, artifacts: createArtifactStorage(settings, db) }) };
}

describe('registry on two nodes (postgres artifacts)', { skip: postgres.skip && 'PostgreSQL unreachable' }, () => {
  test('a version registered on node A is loaded, served, rolled back to and continued on node B with an empty data dir', async () => {
    const { databaseUrl } = await postgres.make();
    const a = await node(databaseUrl!);
    const b = await node(databaseUrl!, a.dataDir);
    try {
      const big = artifactBytes('v1 from A', 3_000_000);
      const v1 = await a.registry.registerVersion(newVersion(T, M), big);
      await a.registry.promote(T, M, 1, { reason: 'first' });

      const served = await b.registry.loadChampion(T, M);
      assert.equal(served?.version.version, 1);
      assert.ok(served?.bytes.equals(big));
      assert.deepEqual((await b.registry.loadArtifact(T, M, 1)).version.artifact, v1.artifact);

      // B continues from A's version; A serves B's.
      const v2 = await b.registry.registerVersion(newVersion(T, M, { mode: 'incremental', parentVersion: 1 }), artifactBytes('v2 from B'));
      await b.registry.promote(T, M, v2.version, { reason: 'better', expectedCurrent: 1 });
      assert.deepEqual((await a.registry.loadChampion(T, M))?.bytes, artifactBytes('v2 from B'));

      // B rolls back to A's version, and A serves it again.
      await b.registry.rollback(T, M, 1, { reason: 'v2 misbehaves' });
      assert.ok((await a.registry.loadChampion(T, M))?.bytes.equals(big));

      for (const n of [a, b]) assert.equal(existsSync(join(n.dataDir, 'artifacts')), false, `no artifact files in ${n.dataDir}`);
    } finally {
      await b.db.close();
      await a.db.close();
    }
  });
});
