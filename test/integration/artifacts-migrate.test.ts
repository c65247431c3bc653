/**
 * `artifacts migrate` against real PostgreSQL and a real data dir: every artifact file referenced by
 * a version is copied into the database and verified; a missing or corrupted file is reported with
 * its versions while the rest are copied; running again copies nothing; --delete-files removes the
 * files once their copies read back; afterwards a node with an empty data dir serves every version.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { migrateArtifacts } from '../../src/registry/index.ts';
import { freshPostgresUrl, storeTargets } from '../helpers/dialects.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir, tempDirSharingKey } from '../helpers/settings.ts';
import { artifactBytes, filesOf, newVersion, openRegistry } from '../fixtures/registry/registry-store.ts';

const M = 'failure';
const [sqlite, postgres] = await storeTargets();

describe('artifacts migrate', { skip: postgres!.skip && 'PostgreSQL unreachable' }, () => {
  test('copies referenced files into PostgreSQL, verified, idempotently; reports what it cannot copy', async () => {
    const t = await postgres!.make();
    const before = await openRegistry(t, { artifacts: 'file' });
    const after = await openRegistry({ dataDir: tempDirSharingKey(t.dataDir), databaseUrl: t.databaseUrl }, { artifacts: 'postgres' });
    try {
      const r = before.registry;
      const files = filesOf(r);
      await r.registerVersion(newVersion('tenant_1', M), artifactBytes('v1', 2_500_000));
      await r.registerVersion(newVersion('tenant_1', M), artifactBytes('v2'));
      await r.registerVersion(newVersion('tenant_1', 'energy'), artifactBytes('v2')); // same content: one artifact
      await r.registerVersion(newVersion('tenant_2', M), artifactBytes('v2')); // same bytes, another tenant: its own
      const lost = await r.registerVersion(newVersion('tenant_1', M), artifactBytes('lost'));
      const bad = await r.registerVersion(newVersion('tenant_2', M), artifactBytes('bad'));
      await r.promote('tenant_1', M, 2, { reason: 'serving' });
      await files.placeFile(await files.stage('tenant_1', artifactBytes('orphan, no version')));
      rmSync(files.pathOf('tenant_1', lost.artifact.sha256));
      const badFile = files.pathOf('tenant_2', bad.artifact.sha256);
      const badBytes = readFileSync(badFile);
      badBytes[5] = badBytes[5]! ^ 0x01;
      writeFileSync(badFile, badBytes);

      const first = await migrateArtifacts({ db: before.db, dataDir: t.dataDir });
      assert.deepEqual(
        { ...first, problems: first.problems.map((p) => [p.tenantId, p.problem, p.versions]) },
        {
          referenced: 5,
          copied: 3,
          alreadyStored: 0,
          filesDeleted: 0,
          problems: [
            ['tenant_1', 'missing', ['failure_tenant_1_v3']],
            ['tenant_2', 'corrupted', ['failure_tenant_2_v2']],
          ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
        },
      );
      assert.match(first.problems.find((p) => p.problem === 'missing')!.message, /artifact of failure_tenant_1_v3 \(tenant "tenant_1"\) is missing: .*artifacts\/tenant_1\//);
      assert.match(first.problems.find((p) => p.problem === 'corrupted')!.message, /is corrupted: .* has sha256 [0-9a-f]{64}, expected/);

      // Another node, empty data dir, artifacts in PostgreSQL: serves what was copied.
      assert.deepEqual((await after.registry.loadArtifact('tenant_1', M, 1)).bytes, artifactBytes('v1', 2_500_000));
      assert.deepEqual((await after.registry.loadChampion('tenant_1', M))?.bytes, artifactBytes('v2'));
      assert.deepEqual((await after.registry.loadArtifact('tenant_1', 'energy', 1)).bytes, artifactBytes('v2'));
      assert.deepEqual((await after.registry.loadArtifact('tenant_2', M, 1)).bytes, artifactBytes('v2'));
      await assert.rejects(after.registry.loadArtifact('tenant_1', M, 3), /is missing/);
      const rows = await after.db.k.selectFrom('artifacts').select(['tenant_id', 'sha256']).execute();
      assert.equal(rows.length, 3, 'the orphan file is not copied');

      const again = await migrateArtifacts({ db: before.db, dataDir: t.dataDir });
      assert.deepEqual([again.referenced, again.copied, again.alreadyStored, again.problems.length], [5, 0, 3, 2], 'a second run copies nothing');

      const cleanup = await migrateArtifacts({ db: before.db, dataDir: t.dataDir, deleteFiles: true });
      assert.deepEqual([cleanup.copied, cleanup.alreadyStored, cleanup.filesDeleted], [0, 3, 3]);
      const v1 = (await r.getVersion('tenant_1', M, 1))!;
      assert.equal(existsSync(files.pathOf('tenant_1', v1.artifact.sha256)), false, 'copied files are deleted');
      assert.equal(existsSync(badFile), true, 'a file that was not copied is kept');
      assert.deepEqual((await after.registry.loadArtifact('tenant_1', M, 1)).bytes, artifactBytes('v1', 2_500_000));
    } finally {
      await after.close();
      await before.close();
    }
  });

  test('the CLI command reports counts, exits 0, and refuses a SQLite store naming DATABASE_URL', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    const databaseUrl = await freshPostgresUrl();
    const setup = await openRegistry({ dataDir, databaseUrl }, { artifacts: 'file' });
    try {
      await setup.registry.registerVersion(newVersion('default', M), artifactBytes('cli'));
    } finally {
      await setup.close();
    }
    const env = { ...BASE_ENV, NIGHTSHIFT_DATA_DIR: dataDir, DATABASE_URL: databaseUrl };
    const ok = await runCli(env, ['artifacts', 'migrate', '--delete-files']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /artifacts referenced by versions: 1\ncopied into PostgreSQL \(verified\): 1\nalready in PostgreSQL: 0\nfiles deleted: 1\n/);
    const json = await runCli(env, ['artifacts', 'migrate', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { referenced: 1, copied: 0, alreadyStored: 1, filesDeleted: 0, problems: [] });

    const refused = await runCli({ ...BASE_ENV, NIGHTSHIFT_DATA_DIR: (await sqlite!.make()).dataDir }, ['artifacts', 'migrate']);
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(refused.stderr, /NS_CONFIG_INVALID: DATABASE_URL: artifacts migrate copies artifact files into PostgreSQL/);
  });
});
