/**
 * /api/tenants/:tenantId/datasets over app.inject(): schema CRUD, ingest in three formats, and every
 * bad input rejected with its row and field while nothing at all is written.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import type { Engine } from '../../src/engine.ts';
import { assertError, body, openTestApi, refused, type ErrorExpectation, type TestApi } from '../helpers/api.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'ingest');
const SCHEMA = JSON.parse(readFileSync(join(FIX, 'sensors.schema.json'), 'utf8')) as Record<string, unknown>;
const URL = '/api/tenants/acme/datasets/sensors';
const SAMPLES = `${URL}/samples`;
const HEADER = 'device,time,temp,humidity,site,failed';

interface RowErr {
  row: number;
  field: string | null;
  reason: string;
  line?: number;
}
interface DatasetBody {
  tenantId: string;
  id: string;
  features: Array<{ name: string; type: string; nullable: boolean }>;
  samples: { count: number; firstAt: string | null; lastAt: string | null };
  lastIngestAt: string | null;
}

/** Every dataset, dictionary and sample row: a refused ingest must leave all of them as they were. */
async function dataSnapshot(engine: Engine) {
  const k = engine.db.k;
  return {
    datasets: await k.selectFrom('datasets').selectAll().orderBy('tenant_id').orderBy('id').execute(),
    categories: await k.selectFrom('dataset_categories').selectAll().orderBy('tenant_id').orderBy('dataset_id').orderBy('feature').orderBy('code').execute(),
    samples: (await k.selectFrom('samples').selectAll().orderBy('tenant_id').orderBy('dataset_id').orderBy('ts').orderBy('entity').execute()).map((r) => ({ ...r, vals: Buffer.from(r.vals).toString('hex') })),
  };
}

/** The request is refused as expected, the run tables and the dataset tables are unchanged. */
type RowErrExpectation = Partial<Record<keyof RowErr, string | number | null | RegExp>>;

async function refusedIngest(t: TestApi, request: InjectOptions, expected: ErrorExpectation & { rowErrors?: RowErrExpectation[] }) {
  const before = await dataSnapshot(t.engine);
  const error = await refused(t, request, expected);
  assert.deepEqual(await dataSnapshot(t.engine), before, 'nothing written');
  if (expected.rowErrors) {
    const list = (error.details?.errors ?? []) as RowErr[];
    assert.equal(list.length, expected.rowErrors.length, `row errors: ${JSON.stringify(list)}`);
    expected.rowErrors.forEach((want, i) => {
      const got = list[i]!;
      for (const [key, value] of Object.entries(want)) {
        if (value instanceof RegExp) assert.match(String(got[key as keyof RowErr]), value, `errors[${i}].${key}: ${JSON.stringify(got)}`);
        else assert.equal(got[key as keyof RowErr], value, `errors[${i}].${key}: ${JSON.stringify(got)}`);
      }
    });
  }
  return error;
}

const csv = (...rows: string[]): InjectOptions => ({ method: 'POST', url: SAMPLES, headers: { 'content-type': 'text/csv' }, payload: [HEADER, ...rows].join('\n') });
const json = (rows: unknown, url = SAMPLES): InjectOptions => ({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(rows) });
const ndjson = (lines: string[]): InjectOptions => ({ method: 'POST', url: SAMPLES, headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
const good = (i: number) => ({ device: `dev-${i % 3}`, time: `2026-03-01T00:${String(i % 60).padStart(2, '0')}:00Z`, temp: 20 + i, humidity: null, site: 'north', failed: i % 2 });
const GOOD_CSV = 'dev-1,2026-03-01T00:00:00Z,21.5,0.4,north,0';

describe('dataset schemas: PUT, GET, list', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi();
  });
  after(() => t.close());

  test('PUT creates (201), re-PUT is 200; GET shows the schema and sample stats; list per tenant', async () => {
    const created = await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA });
    assert.equal(created.statusCode, 201, created.body);
    const view = body<DatasetBody>(created);
    assert.equal(view.tenantId, 'acme');
    assert.deepEqual(view.features.map((f) => `${f.name}:${f.type}:${f.nullable}`), ['temp:numeric:false', 'humidity:numeric:true', 'site:categorical:true']);
    assert.deepEqual(view.samples, { count: 0, firstAt: null, lastAt: null });
    assert.equal((await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA })).statusCode, 200);

    const ingested = await t.app.inject({ method: 'POST', url: SAMPLES, headers: { 'content-type': 'text/csv' }, payload: readFileSync(join(FIX, 'sensors.csv')) });
    assert.equal(ingested.statusCode, 200, ingested.body);
    assert.deepEqual(body(ingested), { accepted: 5, inserted: 5, updated: 0, rejected: 0 });

    const shown = body<DatasetBody>(await t.app.inject({ url: URL }));
    assert.deepEqual(shown.samples, { count: 5, firstAt: '2026-03-01T00:00:00.000Z', lastAt: '2026-03-01T00:03:00.000Z' });
    assert.equal(shown.lastIngestAt, '2026-03-01T00:00:00.000Z');
    const list = body<{ datasets: DatasetBody[] }>(await t.app.inject({ url: '/api/tenants/acme/datasets' }));
    assert.deepEqual(list.datasets.map((d) => [d.id, d.samples.count]), [['sensors', 5]]);
    assert.deepEqual(body<{ datasets: unknown[] }>(await t.app.inject({ url: '/api/tenants/globex/datasets' })).datasets, [], "globex does not see acme's dataset");
  });

  test('an incompatible change once samples exist is 409 naming why; a compatible one is 200', async () => {
    const retyped = { ...SCHEMA, features: [{ name: 'temp', type: 'categorical' }] };
    const e = await refusedIngest(t, { method: 'PUT', url: URL, payload: retyped }, { status: 409, code: 'NS_CONFLICT', message: /holds samples.*"temp" changed type from numeric to categorical/ });
    assert.ok(Array.isArray(e.details?.reasons));
    const grown = { ...SCHEMA, features: [...(SCHEMA.features as unknown[]), { name: 'vibration', type: 'numeric', nullable: true }] };
    const ok = await t.app.inject({ method: 'PUT', url: URL, payload: grown });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(body<DatasetBody>(ok).samples.count, 5);
    await t.app.inject({ method: 'PUT', url: URL, payload: { ...grown } });
  });

  const badSchemas: Array<[string, string, unknown, ErrorExpectation]> = [
    ['a duplicate column name', URL, { ...SCHEMA, features: [{ name: 'temp', type: 'numeric' }, { name: 'temp', type: 'numeric' }] }, { status: 400, code: 'NS_VALIDATION', field: 'features[1].name', message: /already used by features\[0\]\.name/ }],
    ['a feature named like the entity key', URL, { ...SCHEMA, features: [{ name: 'device', type: 'numeric' }] }, { status: 400, code: 'NS_VALIDATION', field: 'features[0].name' }],
    ['an unknown feature type', URL, { ...SCHEMA, features: [{ name: 'x', type: 'text' }] }, { status: 400, code: 'NS_VALIDATION', field: 'features[0].type', message: /numeric.*categorical/ }],
    ['an unknown label type', URL, { ...SCHEMA, label: { name: 'y', type: 'multiclass' } }, { status: 400, code: 'NS_VALIDATION', field: 'label.type' }],
    ['no features', URL, { ...SCHEMA, features: [] }, { status: 400, code: 'NS_VALIDATION', field: 'features' }],
    ['an unknown field', URL, { ...SCHEMA, owner: 'me' }, { status: 400, code: 'NS_VALIDATION', field: 'owner' }],
    ['a reserved column name', URL, { ...SCHEMA, features: [{ name: '__proto__', type: 'numeric' }] }, { status: 400, code: 'NS_VALIDATION', field: 'features[0].name', message: /reserved/ }],
    ['a bad column name', URL, { ...SCHEMA, entityKey: 'device id' }, { status: 400, code: 'NS_VALIDATION', field: 'entityKey' }],
    ['a bad dataset id', '/api/tenants/acme/datasets/Bad%20Id', SCHEMA, { status: 400, code: 'NS_VALIDATION', field: 'datasetId' }],
    ['an unknown tenant', '/api/tenants/nobody/datasets/sensors', SCHEMA, { status: 404, code: 'NS_NOT_FOUND', field: 'tenant', message: /nobody/ }],
  ];
  for (const [what, url, payload, expected] of badSchemas) {
    test(`PUT with ${what} is refused and changes nothing`, async () => {
      await refusedIngest(t, { method: 'PUT', url, payload: payload as Record<string, unknown> }, expected);
    });
  }

  test("GET of an unknown dataset, of another tenant's dataset, or for an unknown tenant is 404", async () => {
    assertError(await t.app.inject({ url: '/api/tenants/acme/datasets/nope' }), { status: 404, code: 'NS_NOT_FOUND', field: 'dataset' });
    assertError(await t.app.inject({ url: '/api/tenants/globex/datasets/sensors' }), { status: 404, code: 'NS_NOT_FOUND', field: 'dataset' });
    assertError(await t.app.inject({ url: '/api/tenants/nobody/datasets' }), { status: 404, code: 'NS_NOT_FOUND', field: 'tenant' });
  });
});

// The clock a day after the samples' times: these batches span hours, and times ahead of the clock are refused.
const DAY_AFTER = '2026-03-02T00:00:00Z';

describe('POST samples: accepted formats', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: DAY_AFTER });
    assert.equal((await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA })).statusCode, 201);
  });
  after(() => t.close());

  test('JSON array, NDJSON (blank lines skipped) and CSV with a charset are accepted', async () => {
    const a = await t.app.inject(json([good(1), good(2)]));
    assert.deepEqual([a.statusCode, body(a)], [200, { accepted: 2, inserted: 2, updated: 0, rejected: 0 }]);
    const b = await t.app.inject({ ...ndjson([readFileSync(join(FIX, 'sensors.ndjson'), 'utf8')]), headers: { 'content-type': 'application/x-ndjson; charset=utf-8' } });
    assert.deepEqual([b.statusCode, body(b)], [200, { accepted: 2, inserted: 2, updated: 0, rejected: 0 }]);
    const c = await t.app.inject({ ...csv('dev-9,1772323200000,1,,,1'), headers: { 'content-type': 'text/csv; charset=utf-8' } });
    assert.deepEqual([c.statusCode, body(c)], [200, { accepted: 1, inserted: 1, updated: 0, rejected: 0 }]);
    assert.equal(body<DatasetBody>(await t.app.inject({ url: URL })).samples.count, 5);
  });

  test('a batch larger than the 1 MiB API body limit is accepted by this route (up to 32 MiB)', async () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => `big-${i},${1772323200000 + i * 1000},${i / 3},${i / 7},site-${i % 5},${i % 2}`);
    const request = csv(...rows);
    assert.ok(String(request.payload).length > 1_048_576);
    const res = await t.app.inject(request);
    assert.deepEqual([res.statusCode, body(res)], [200, { accepted: 30_000, inserted: 30_000, updated: 0, rejected: 0 }]);
    assertError(await t.app.inject({ method: 'PUT', url: URL, payload: { ...SCHEMA, pad: 'x'.repeat(1_100_000) } }), { status: 413, code: 'NS_PAYLOAD_TOO_LARGE' });
  });
});

describe('POST samples: every bad input is rejected with its row and field, and nothing is written', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: DAY_AFTER });
    assert.equal((await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA })).statusCode, 201);
    assert.equal((await t.app.inject({ method: 'PUT', url: '/api/tenants/globex/datasets/other', payload: SCHEMA })).statusCode, 201);
    assert.equal((await t.app.inject(csv(GOOD_CSV))).statusCode, 200, 'the dataset already holds a sample');
  });
  after(() => t.close());

  const V = { status: 400, code: 'NS_VALIDATION' } as const;
  const cases: Array<[string, InjectOptions, ErrorExpectation & { rowErrors?: RowErrExpectation[] }]> = [
    ['"NaN" in a CSV numeric cell', csv(GOOD_CSV, 'dev-2,2026-03-01T00:01:00Z,NaN,,south,1'), { ...V, field: 'temp', message: /1 error.*row 2 \(line 3\), temp/, rowErrors: [{ row: 2, line: 3, field: 'temp', reason: /NaN and Infinity are not numbers/ }] }],
    ['"Infinity" and "-inf" in CSV cells', csv('dev-2,2026-03-01T00:01:00Z,Infinity,-inf,south,1'), { ...V, field: 'temp', rowErrors: [{ row: 1, field: 'temp', reason: /"Infinity" is not allowed/ }, { row: 1, field: 'humidity', reason: /"-inf" is not allowed/ }] }],
    ['"Infinity" as a JSON string', json([good(1), { ...good(2), temp: 'Infinity' }]), { ...V, field: 'temp', rowErrors: [{ row: 2, field: 'temp', reason: /NaN and Infinity/ }] }],
    ['a bare NaN in NDJSON (not JSON)', ndjson([JSON.stringify(good(1)), '{"device":"d","time":1772323200000,"temp":NaN,"failed":0}']), { ...V, field: 'body', rowErrors: [{ row: 2, line: 2, field: null, reason: /not valid JSON/ }] }],
    ['a number overflowing Float64 in CSV', csv('dev-2,2026-03-01T00:01:00Z,1e999,,south,1'), { ...V, field: 'temp', rowErrors: [{ row: 1, field: 'temp', reason: /outside the range/ }] }],
    ['a string where a number belongs (JSON)', json([{ ...good(1), temp: '21.5' }]), { ...V, field: 'temp', rowErrors: [{ row: 1, field: 'temp', reason: 'expected a number, got the string "21.5"' }] }],
    ['a number where a categorical belongs (JSON)', json([{ ...good(1), site: 7 }]), { ...V, field: 'site', rowErrors: [{ row: 1, field: 'site', reason: /expected a string \(categorical\), got a number/ }] }],
    ['an object as the entity key', json([{ ...good(1), device: { id: 1 } }]), { ...V, field: 'device', rowErrors: [{ row: 1, field: 'device', reason: /got an object/ }] }],
    ['a word in a CSV numeric cell', csv('dev-2,2026-03-01T00:01:00Z,warm,,south,1'), { ...V, field: 'temp', rowErrors: [{ row: 1, field: 'temp', reason: '"warm" is not a number' }] }],
    ['a missing non-nullable value (JSON key absent)', json([good(1), good(2), { device: 'd', time: '2026-03-01T00:09:00Z', failed: 0 }]), { ...V, field: 'temp', rowErrors: [{ row: 3, field: 'temp', reason: /missing.*not nullable/ }] }],
    ['a missing non-nullable value (JSON null)', json([{ ...good(1), failed: null }]), { ...V, field: 'failed', rowErrors: [{ row: 1, field: 'failed', reason: /not nullable/ }] }],
    ['a missing non-nullable value (empty CSV cell)', csv(GOOD_CSV.replace('dev-1', 'dev-7'), 'dev-2,2026-03-01T00:01:00Z,,0.5,south,1'), { ...V, field: 'temp', rowErrors: [{ row: 2, field: 'temp', reason: /missing/ }] }],
    ['a missing entity key', csv(',2026-03-01T00:01:00Z,1,0.5,south,1'), { ...V, field: 'device', rowErrors: [{ row: 1, field: 'device', reason: /entity key/ }] }],
    ['an unknown column (JSON)', json([{ ...good(1), colour: 'red' }]), { ...V, field: 'colour', rowErrors: [{ row: 1, field: 'colour', reason: /unknown column; the dataset's columns are device, time, temp, humidity, site, failed/ }] }],
    ['an unknown column (CSV header)', { ...csv(), payload: `${HEADER},colour\n${GOOD_CSV},red` }, { ...V, field: 'colour', rowErrors: [{ row: 0, line: 1, field: 'colour', reason: /unknown column in the header/ }] }],
    ['a required column missing from the CSV header', { ...csv(), payload: 'device,time,failed\nd,2026-03-01T00:00:00Z,1' }, { ...V, field: 'temp', rowErrors: [{ row: 0, field: 'temp', reason: /missing from the header/ }] }],
    ['a month 13 timestamp', csv('dev-2,2026-13-01T00:00:00Z,1,,,1'), { ...V, field: 'time', rowErrors: [{ row: 1, field: 'time', reason: /is not a time; use ISO-8601/ }] }],
    ['February 30th', json([{ ...good(1), time: '2026-02-30T00:00:00Z' }]), { ...V, field: 'time', rowErrors: [{ row: 1, field: 'time', reason: /is not a time/ }] }],
    ['a timestamp without a zone', csv('dev-2,2026-03-01T10:00:00,1,,,1'), { ...V, field: 'time', rowErrors: [{ row: 1, field: 'time', reason: /no time zone; add Z or an offset/ }] }],
    ['a word as a timestamp', json([{ ...good(1), time: 'yesterday' }]), { ...V, field: 'time', rowErrors: [{ row: 1, field: 'time', reason: /"yesterday" is not a time/ }] }],
    ['fractional epoch milliseconds', json([{ ...good(1), time: 1772323200000.5 }]), { ...V, field: 'time', rowErrors: [{ row: 1, field: 'time', reason: /whole number/ }] }],
    ['a binary label of 2', csv('dev-2,2026-03-01T00:01:00Z,1,,,2'), { ...V, field: 'failed', rowErrors: [{ row: 1, field: 'failed', reason: /binary label must be 0, 1, true or false; got "2"/ }] }],
    ['a binary label "yes" (JSON)', json([{ ...good(1), failed: 'yes' }]), { ...V, field: 'failed', rowErrors: [{ row: 1, field: 'failed', reason: /got the string "yes"/ }] }],
    ['the same (entity, time) twice in a batch', json([good(1), good(2), good(1)]), { ...V, field: 'time', rowErrors: [{ row: 3, field: 'time', reason: /same entity "dev-1" and timestamp as row 1/ }] }],
    ['a CSV row with too few cells', csv(GOOD_CSV.replace('dev-1', 'dev-8'), 'dev-2,2026-03-01T00:01:00Z,1'), { ...V, field: 'body', rowErrors: [{ row: 2, field: null, reason: 'has 3 fields, the header has 6' }] }],
    ['a CSV quote never closed', csv('dev-2,2026-03-01T00:01:00Z,1,,"north,1'), { ...V, field: 'body', rowErrors: [{ row: 1, line: 2, field: null, reason: /never closed/ }] }],
    ['a JSON array element that is not an object', json([good(1), [1, 2]]), { ...V, field: 'body', rowErrors: [{ row: 2, field: null, reason: /expected an object/ }] }],
    ['a JSON object instead of an array', json(good(1)), { ...V, field: 'body', message: /JSON array of objects/ }],
    ['a body that is not JSON', { ...json([]), payload: '[{"device": ' }, { ...V, field: 'body', message: /not valid JSON/ }],
    ['an empty JSON body', { ...json([]), payload: '' }, { ...V, field: 'body', message: /body is empty; send a JSON array/ }],
    ['an empty CSV body', { ...csv(), payload: '' }, { ...V, field: 'body', message: /body is empty; send a header row/ }],
    ['an empty NDJSON body (blank lines)', ndjson(['', '  ', '']), { ...V, field: 'body', message: /body is empty/ }],
    ['an empty JSON array', json([]), { ...V, field: 'body', message: /no rows/ }],
    ['a CSV header without rows', csv(), { ...V, field: 'body', message: /no rows/ }],
    ['an unknown dataset', json([good(1)], '/api/tenants/acme/datasets/nope/samples'), { status: 404, code: 'NS_NOT_FOUND', field: 'dataset', message: /"nope"/ }],
    ["another tenant's dataset", json([good(1)], '/api/tenants/globex/datasets/sensors/samples'), { status: 404, code: 'NS_NOT_FOUND', field: 'dataset' }],
    ['an unknown tenant', json([good(1)], '/api/tenants/nobody/datasets/sensors/samples'), { status: 404, code: 'NS_NOT_FOUND', field: 'tenant' }],
    ['text/plain', { ...csv(GOOD_CSV), headers: { 'content-type': 'text/plain' } }, { status: 415, code: 'NS_UNSUPPORTED_MEDIA_TYPE', field: 'content-type', message: /application\/x-ndjson or text\/csv/ }],
    ['application/xml', { ...csv(GOOD_CSV), headers: { 'content-type': 'application/xml' } }, { status: 415, code: 'NS_UNSUPPORTED_MEDIA_TYPE', field: 'content-type' }],
    ['no content type', { method: 'POST', url: SAMPLES }, { status: 415, code: 'NS_UNSUPPORTED_MEDIA_TYPE', field: 'content-type' }],
  ];
  for (const [what, request, expected] of cases) {
    test(`${what}`, async () => {
      await refusedIngest(t, request, expected);
    });
  }

  test('every error is counted, the first 100 listed; good rows around them are not written', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ ...good(i), time: 1772330000000 + i * 1000, ...(i % 2 === 1 ? { temp: 'x' } : {}) }));
    const e = await refusedIngest(t, json(rows), { ...V, field: 'temp', message: /150 error\(s\) in a batch of 300 row\(s\); nothing was written/ });
    assert.equal((e.details?.errors as RowErr[]).length, 100);
    assert.equal(e.details?.errorCount, 150);
    assert.deepEqual((e.details?.errors as RowErr[]).slice(0, 2).map((r) => r.row), [2, 4]);
  });

  test('a batch over 100,000 rows is 413 with the limit; a body over 32 MiB is 413', async () => {
    const line = JSON.stringify({ device: 'd', time: 1772323200000, temp: 1, failed: 0 });
    await refusedIngest(t, ndjson(Array.from({ length: 100_001 }, () => line)), { status: 413, code: 'NS_PAYLOAD_TOO_LARGE', field: 'body', message: /more than 100000 rows; split it/ });
    await refusedIngest(t, { ...csv(), payload: `${HEADER}\n${'x'.repeat(33 * 1_048_576)}` }, { status: 413, code: 'NS_PAYLOAD_TOO_LARGE', field: 'body', message: /larger than 33554432 bytes/ });
  });

  test('the dataset still holds exactly its one good sample', async () => {
    assert.equal(body<DatasetBody>(await t.app.inject({ url: URL })).samples.count, 1);
  });
});
