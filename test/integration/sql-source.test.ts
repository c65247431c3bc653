/** SQL source against a real PostgreSQL: tenant isolation through :tenant_id, the window, type mapping, read-only, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createSqlSource } from '../../src/data/sources/index.ts';
import type { DatasetSchema } from '../../src/data/types.ts';
import { freshPostgresUrl, PG_BASE_URL } from '../helpers/dialects.ts';

const JAN1 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const WINDOW = { since: JAN1, until: JAN1 + 24 * HOUR };

const schema: DatasetSchema = {
  id: 'readings',
  tenantId: 'acme',
  entityKey: 'machine_id',
  timestamp: 'ts',
  features: [
    { name: 'temperature', type: 'numeric', nullable: true },
    { name: 'model', type: 'categorical', nullable: false },
  ],
  label: { name: 'failed', type: 'binary', nullable: true },
};

const QUERY = `
  select machine_id, ts, temp as temperature, model, failed
  from readings
  where tenant_id = :tenant_id and ts >= :since and ts < :until
  order by ts, machine_id`;

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    if (process.env.NIGHTSHIFT_REQUIRE_POSTGRES === '1') throw new Error(`PostgreSQL at ${PG_BASE_URL} is unreachable`);
    process.stderr.write(`\n*** PostgreSQL at ${PG_BASE_URL} unreachable: SQL source suite SKIPPED ***\n\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const hasPg = await reachable();

describe('SqlSource (PostgreSQL)', { skip: !hasPg && 'PostgreSQL unreachable' }, () => {
  let url = '';
  let schemaName = '';

  before(async () => {
    url = await freshPostgresUrl();
    schemaName = decodeURIComponent(url).split('search_path=')[1]!;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`
        create table readings (tenant_id text not null, machine_id text not null, ts timestamptz not null, temp double precision, model text not null, failed boolean);
        create table events (tenant text, machine_id text, ts bigint, naive timestamp, temperature numeric, model text, failed int);`);
      await client.query(
        `insert into readings values
          ('acme', 'm1', $1, 20.5, 'A', false), ('acme', 'm1', $2, null, 'A', true), ('acme', 'm2', $3, 30, 'B', null),
          ('globex', 'g1', $2, 99, 'Z', true), ('acme', 'm1', $4, 21, 'A', false), ('acme', 'm1', $5, 22, 'A', false)`,
        [new Date(JAN1), new Date(JAN1 + HOUR), new Date(JAN1 + 2 * HOUR), new Date(JAN1 - 1), new Date(JAN1 + 24 * HOUR)],
      );
      await client.query(`insert into events values ('acme', 'm1', $1, '2026-01-01 05:00:00', 1.25, 'A', 1), ('globex', 'g1', $1, '2026-01-01 05:00:00', 7, 'Z', 0)`, [JAN1 + 5 * HOUR]);
    } finally {
      await client.end();
    }
  });

  after(async () => {
    if (!schemaName) return;
    const client = new pg.Client({ connectionString: PG_BASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schemaName} cascade`);
    await client.end();
  });

  test('loads only the tenant’s rows in the window (since ≤ ts < until), mapped through the schema', async () => {
    const source = createSqlSource({ url, query: QUERY, schema });
    assert.equal(source.kind, 'sql');
    assert.deepEqual(await source.load('acme', WINDOW), [
      { entity: 'm1', ts: JAN1, values: { temperature: 20.5, model: 'A' }, label: 0 },
      { entity: 'm1', ts: JAN1 + HOUR, values: { temperature: null, model: 'A' }, label: 1 },
      { entity: 'm2', ts: JAN1 + 2 * HOUR, values: { temperature: 30, model: 'B' }, label: null },
    ]);
    assert.deepEqual((await source.load('globex', WINDOW)).map((s) => [s.entity, s.values.temperature]), [['g1', 99]]);
    assert.deepEqual(await source.load('initech', WINDOW), []);
  });

  test('bigint epoch ms, naive timestamps (read as UTC) and numeric columns', async () => {
    const epoch = createSqlSource({
      url,
      schema,
      timeFormat: 'epoch_ms',
      query: 'select machine_id, ts, temperature, model, failed from events where tenant = :tenant_id and ts >= :since and ts < :until',
    });
    assert.deepEqual(await epoch.load('acme', WINDOW), [{ entity: 'm1', ts: JAN1 + 5 * HOUR, values: { temperature: 1.25, model: 'A' }, label: 1 }]);
    const naive = createSqlSource({ url, schema, query: 'select machine_id, naive as ts, temperature, model, failed from events where tenant = :tenant_id and naive >= :since' });
    assert.deepEqual((await naive.load('globex', WINDOW)).map((s) => [s.ts, s.values.temperature]), [[JAN1 + 5 * HOUR, 7]]);
  });

  test('a query without :tenant_id is refused before it reaches the database', () => {
    assert.throws(() => createSqlSource({ url, schema, query: 'select machine_id, ts, temp as temperature, model, failed from readings' }), (e: { code?: string; field?: string; message: string }) => {
      assert.equal(e.code, 'NS_CONFIG_INVALID');
      assert.equal(e.field, 'query');
      assert.match(e.message, /:tenant_id.*example/);
      return true;
    });
  });

  test('a result with rows of another tenant fails rather than leak', async () => {
    const leaky = createSqlSource({ url, schema, query: 'select tenant_id, machine_id, ts, temp as temperature, model, failed from readings where :tenant_id::text is not null' });
    await assert.rejects(leaky.load('acme', WINDOW), (e: { code?: string; message: string }) => e.code === 'NS_CONFIG_INVALID' && /tenant "globex"/.test(e.message));
  });

  test('the query runs read-only', async () => {
    const writer = createSqlSource({
      url,
      schema,
      query: "with gone as (delete from readings where tenant_id = :tenant_id returning *) select machine_id, ts, temp as temperature, model, failed from gone",
    });
    await assert.rejects(writer.load('acme', WINDOW), (e: { message: string }) => /read-only/.test(e.message));
    assert.equal((await createSqlSource({ url, query: QUERY, schema }).load('acme', WINDOW)).length, 3, 'nothing was deleted');
  });

  test('missing result columns and SQL errors are config errors; an unreachable server is transient', async () => {
    const missing = createSqlSource({ url, schema, query: 'select machine_id, ts from readings where tenant_id = :tenant_id' });
    await assert.rejects(missing.load('acme', WINDOW), (e: { code?: string; message: string }) => e.code === 'NS_CONFIG_INVALID' && /"model"/.test(e.message));
    const typo = createSqlSource({ url, schema, query: 'select * from no_such_table where tenant_id = :tenant_id' });
    await assert.rejects(typo.load('acme', WINDOW), (e: { code?: string; field?: string }) => e.code === 'NS_CONFIG_INVALID' && e.field === 'query');
    const down = createSqlSource({ url: 'postgres://postgres@127.0.0.1:1/test', schema, query: QUERY, connectTimeoutMs: 2000 });
    await assert.rejects(down.load('acme', WINDOW), (e: { code?: string; retryable?: boolean }) => e.code === 'NS_JOB_TRANSIENT' && e.retryable === true);
  });

  test('an aborted load rejects with the abort reason', async () => {
    const slow = createSqlSource({ url, schema, query: 'select machine_id, ts, temp as temperature, model, failed from readings, pg_sleep(30) where tenant_id = :tenant_id' });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop now')), 200);
    await assert.rejects(slow.load('acme', WINDOW, controller.signal), /stop now/);
    // Half the 30 s the query sleeps: room for a connect and a cancel on a loaded CI machine.
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 15_000, `did not wait for the query (rejected after ${elapsed} ms)`);
    // The statement was cancelled server-side, so nothing of it is left running. The cancel travels
    // on a connection of its own: give it until well before the sleep would have ended by itself.
    const client = new pg.Client({ connectionString: PG_BASE_URL });
    await client.connect();
    try {
      for (const deadline = started + 20_000; Date.now() < deadline; ) {
        const { rows } = await client.query("select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(30)%' and state = 'active' and pid <> pg_backend_pid()");
        if (rows[0].n === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail('the aborted statement is still running 20 s after the load started');
    } finally {
      await client.end();
    }
  });
});
