/**
 * Deleting a tenant, on SQLite (artifact files) and PostgreSQL (artifact rows): refused while it has
 * data; forced, every row of the tenant in every table of the store goes (the tables are read from
 * the database itself, so a table added later is covered), its artifacts too, its champion is served
 * no more (on this node at once, on another once its cache rechecks), and another tenant's data is
 * untouched.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import { isNsError } from '../../src/errors.ts';
import type { Executor } from '../../src/store/db.ts';
import { artifactBytes, newVersion } from '../fixtures/registry/registry-store.ts';
import { assertError, body, openTestApi, refused, type TestApi } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { commandJob, makeSettings } from '../helpers/settings.ts';
import { artifactBytesOf, trainedLinear } from '../unit/serving-fixtures.ts';

const node = process.execPath;

/**
 * Every table of the store with a tenant_id column, as the database lists them, but the audit log:
 * it is append-only and keeps a deleted tenant's history, the deletion included.
 */
async function tenantTables(engine: Engine): Promise<string[]> {
  const k = engine.db.k;
  const { rows } =
    engine.db.dialect === 'sqlite'
      ? await sql<{ name: string }>`select m.name as name from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table' and p.name = 'tenant_id' order by m.name`.execute(k)
      : await sql<{ name: string }>`select table_name as name from information_schema.columns where column_name = 'tenant_id' and table_schema = current_schema() order by table_name`.execute(k);
  return rows.map((r) => r.name).filter((name) => name !== 'audit_log');
}

async function rowsOf(k: Executor, table: string, tenantId: string): Promise<number> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)} where tenant_id = ${tenantId}`.execute(k);
  return Number(rows[0]!.n);
}

/** A tenant with a bit of everything: a schedule, a run, a dataset with samples, a model, two versions (one champion). */
async function populate(t: TestApi, tenantId: string): Promise<void> {
  const ok = (res: { statusCode: number; body: string }, status: number) => assert.equal(res.statusCode, status, res.body);
  ok(await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: tenantId } }), 201);
  ok(await t.app.inject({ method: 'PUT', url: `/api/schedules/${tenantId}-quick`, payload: { tenantId, jobId: 'quick', every: '6h' } }), 201);
  ok(await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId } }), 202);
  const dataset = { entityKey: 'machine', timestamp: 'ts', features: [{ name: 'temp', type: 'numeric' }, { name: 'kind', type: 'categorical' }], label: { name: 'failed', type: 'binary' } };
  ok(await t.app.inject({ method: 'PUT', url: `/api/tenants/${tenantId}/datasets/readings`, payload: dataset }), 201);
  const samples = [1, 2, 3].map((i) => ({ machine: `m${i}`, ts: `2026-02-0${i}T00:00:00Z`, temp: 20 + i, kind: i % 2 ? 'a' : 'b', failed: i % 2 }));
  ok(await t.app.inject({ method: 'POST', url: `/api/tenants/${tenantId}/datasets/readings/samples`, payload: samples }), 200);
  ok(await t.app.inject({ method: 'PUT', url: `/api/tenants/${tenantId}/models/failure`, payload: { task: 'binary', dataset: 'readings', features: { continuous: ['temp'] } } }), 201);
  const registry = t.engine.models.registry;
  const v1 = await registry.registerVersion(newVersion(tenantId, 'failure', { trainer: 'linear' }), artifactBytesOf(await trainedLinear('binary')));
  await registry.registerVersion(newVersion(tenantId, 'failure'), artifactBytes(`${tenantId}-2`));
  await registry.promote(tenantId, 'failure', v1.version, { reason: 'first', actor: 'test' });
}

for (const target of await storeTargets()) {
  describe(`deleting a tenant with its data (${target.name})`, { skip: target.skip }, () => {
    test('refused while it has data; forced, every row and artifact of it goes and the other tenant keeps all of its own', async () => {
      const store = await target.make();
      const jobs = [commandJob('quick', node, ['-e', '0'])];
      const t = await openTestApi({ target: store, jobs });
      // A second node over the same store, with its own model cache.
      const clock2 = new ManualClock('2026-03-01T00:00:00Z');
      const node2 = await Engine.open({ settings: makeSettings({ dataDir: store.dataDir, databaseUrl: store.databaseUrl, jobs }), clock: clock2 });
      try {
        await populate(t, 'initech');
        await populate(t, 'hooli');
        const tables = await tenantTables(t.engine);
        for (const table of ['tenants', 'schedules', 'runs', 'samples', 'datasets', 'model_versions', 'model_aliases', 'model_alias_history', 'model_definitions']) {
          if (table !== 'tenants') assert.ok(tables.includes(table), `${table} is among the tenant tables`);
        }
        const count = async (tenantId: string) => Object.fromEntries(await Promise.all(tables.map(async (table) => [table, await rowsOf(t.engine.db.k, table, tenantId)] as const)));
        const hooliBefore = await count('hooli');
        const initech = await count('initech');
        for (const table of ['schedules', 'runs', 'samples', 'datasets', 'model_versions', 'model_aliases', 'model_alias_history', 'model_definitions']) {
          assert.ok(initech[table]! > 0, `initech has ${table} rows`);
        }
        const files = t.engine.settings.artifacts === 'file';
        const artifactDir = join(t.engine.settings.dataDir, 'artifacts', 'initech');
        if (files) assert.ok(existsSync(artifactDir));
        else assert.equal(initech.artifacts, 2, 'two artifact rows');

        // The champion is now in the model cache: after the deletion it must not be served from there.
        const predicted = await t.app.inject({ method: 'POST', url: '/api/tenants/initech/models/failure/predict', payload: { values: { temperature: 80 } } });
        assert.equal(predicted.statusCode, 200, predicted.body);
        const row = [{ values: { temperature: 80 } }];
        assert.equal((await node2.models.predict('initech', 'failure', row)).version.version, 1, 'node 2 serves the champion too');

        const error = await refused(t, { method: 'DELETE', url: '/api/tenants/initech' }, { status: 409, code: 'NS_CONFLICT', field: 'force' });
        assert.deepEqual(error.details, { schedules: 2, runs: 1, datasets: 1, samples: 3, models: 1, versions: 2 }, 'its own schedule and the model’s training schedule');

        const res = await t.app.inject({ method: 'DELETE', url: '/api/tenants/initech?force=true' });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(body<{ deleted: Record<string, number> }>(res).deleted, { schedules: 2, runs: 1, datasets: 1, samples: 3, models: 1, versions: 2, artifacts: 2 });

        const gone = await count('initech');
        assert.deepEqual(gone, Object.fromEntries(tables.map((table) => [table, 0])), 'no row of the tenant is left in any table');
        assert.equal((await t.engine.db.k.selectFrom('tenants').select('id').where('id', '=', 'initech').execute()).length, 0);
        if (files) assert.ok(!existsSync(artifactDir), 'its artifact files are gone');
        assert.deepEqual(await count('hooli'), hooliBefore, 'the other tenant keeps every row');
        const hooliModel = await t.app.inject({ url: '/api/tenants/hooli/models/failure/versions' });
        assert.equal(hooliModel.statusCode, 200);

        assertError(await t.app.inject({ method: 'POST', url: '/api/tenants/initech/models/failure/predict', payload: { values: { temperature: 80 } } }), { status: 404, code: 'NS_NOT_FOUND' });
        for (const url of ['/api/tenants', '/api/schedules', '/api/runs', '/api/jobs', '/api/models', '/api/tenants/hooli/datasets']) {
          assert.equal((await t.app.inject({ url })).statusCode, 200, url);
        }

        // Node 2 learns it when its cache rechecks the champion: the next prediction is refused.
        clock2.advance(60_000);
        const rechecked = node2.models.cache.events.waitFor('model:load-failed', (p) => p.tenantId === 'initech');
        await node2.models.predict('initech', 'failure', row).catch(() => undefined);
        await rechecked;
        await assert.rejects(node2.models.predict('initech', 'failure', row), (e: unknown) => isNsError(e) && e.code === 'NS_NOT_FOUND');
      } finally {
        await node2.close(1_000);
        await t.close();
      }
    });
  });
}
