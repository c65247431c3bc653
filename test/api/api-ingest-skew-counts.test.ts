/**
 * Ingest over app.inject() (issue 14, item 9): a timestamp further ahead of the service clock than
 * NIGHTSHIFT_INGEST_MAX_SKEW (default 1 h) is refused with a per-row error naming the row and the
 * timestamp column, and nothing is written (the dataset's lastAt does not move to 2099); re-sent
 * (entity, timestamp) rows still replace the stored ones, and the answer counts inserted and updated.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { assertError, body, openTestApi, type TestApi } from '../helpers/api.ts';

const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ingest', 'sensors.schema.json'), 'utf8')) as Record<string, unknown>;
const URL = '/api/tenants/acme/datasets/sensors';
const SAMPLES = `${URL}/samples`;
const HEADER = 'device,time,temp,humidity,site,failed';
const START = '2026-03-01T12:00:00Z';

const csv = (...rows: string[]): InjectOptions => ({ method: 'POST', url: SAMPLES, headers: { 'content-type': 'text/csv' }, payload: [HEADER, ...rows].join('\n') });
const json = (rows: unknown[]): InjectOptions => ({ method: 'POST', url: SAMPLES, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(rows) });

interface RowErr {
  row: number;
  field: string | null;
  reason: string;
  line?: number;
}

async function lastAt(t: TestApi): Promise<string | null> {
  const res = await t.app.inject({ method: 'GET', url: URL });
  return body<{ samples: { lastAt: string | null } }>(res).samples.lastAt;
}

describe('ingest: timestamps ahead of the service clock', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: START });
    assert.equal((await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA })).statusCode, 201);
    const first = await t.app.inject(csv('dev-1,2026-03-01T11:00:00Z,20,,north,0'));
    assert.equal(first.statusCode, 200, first.body);
  });
  after(() => t.close());

  test('a row dated 2099 is refused with its row and field; nothing is written and lastAt stays', async () => {
    const before = await lastAt(t);
    assert.equal(before, '2026-03-01T11:00:00.000Z');
    const res = await t.app.inject(csv('dev-1,2026-03-01T11:30:00Z,21,,north,0', 'dev-2,2099-01-01T00:00:00Z,22,,south,1'));
    const error = assertError(res, { status: 400, code: 'NS_VALIDATION', field: 'time', message: /row 2 .*time.*ahead of the service clock/ });
    const rows = (error.details?.errors ?? []) as RowErr[];
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0]!.row, 2);
    assert.equal(rows[0]!.field, 'time');
    assert.match(rows[0]!.reason, /ahead of the service clock/);
    assert.match(rows[0]!.reason, /NIGHTSHIFT_INGEST_MAX_SKEW/);
    assert.equal(await lastAt(t), before, "the dataset's last sample did not move");
  });

  test('JSON and epoch milliseconds are checked alike; up to the skew is accepted', async () => {
    const now = Date.parse(START);
    const ahead = json([{ device: 'dev-3', time: now + 61 * 60_000, temp: 1, humidity: null, site: null, failed: 0 }]);
    const error = assertError(await t.app.inject(ahead), { status: 400, code: 'NS_VALIDATION', field: 'time' });
    assert.equal(((error.details?.errors ?? []) as RowErr[])[0]!.row, 1);
    const within = await t.app.inject(json([{ device: 'dev-3', time: now + 59 * 60_000, temp: 1, humidity: null, site: null, failed: 0 }]));
    assert.equal(within.statusCode, 200, within.body);
  });
});

describe('ingest: a smaller skew from the settings', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: START, ingestMaxSkewMs: 60_000 });
    assert.equal((await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA })).statusCode, 201);
  });
  after(() => t.close());

  test('two minutes ahead is refused under a one-minute skew', async () => {
    const res = await t.app.inject(csv('dev-1,2026-03-01T12:02:00Z,20,,north,0'));
    assertError(res, { status: 400, code: 'NS_VALIDATION', field: 'time', message: /at most 1m ahead/ });
    assert.equal((await t.app.inject(csv('dev-1,2026-03-01T12:00:30Z,20,,north,0'))).statusCode, 200);
  });
});

describe('ingest: re-sent rows are counted as updated', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: START });
    assert.equal((await t.app.inject({ method: 'PUT', url: URL, payload: SCHEMA })).statusCode, 201);
  });
  after(() => t.close());

  test('inserted, then the same rows again (updated) with new ones (inserted); the new values win', async () => {
    const a = 'dev-1,2026-03-01T10:00:00Z,20,,north,0';
    const b = 'dev-2,2026-03-01T10:00:00Z,21,,north,0';
    const c = 'dev-1,2026-03-01T10:05:00Z,22,,north,1';
    const first = await t.app.inject(csv(a, b, c));
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(body(first), { accepted: 3, inserted: 3, updated: 0, rejected: 0 });

    const again = await t.app.inject(csv('dev-1,2026-03-01T10:00:00Z,99,,south,1', b, 'dev-3,2026-03-01T10:00:00Z,23,,north,0', c, 'dev-1,2026-03-01T10:10:00Z,24,,north,0'));
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(body(again), { accepted: 5, inserted: 2, updated: 3, rejected: 0 });

    const view = body<{ samples: { count: number } }>(await t.app.inject({ method: 'GET', url: URL }));
    assert.equal(view.samples.count, 5);
    const stored = await t.engine.db.k.selectFrom('samples').select(['entity', 'ts', 'label']).where('entity', '=', 'dev-1').orderBy('ts').execute();
    assert.deepEqual(stored.map((r) => Number(r.label)), [1, 1, 0], 'the re-sent row replaced the stored one');
  });

  test('NDJSON answers the same counts', async () => {
    const line = (time: string) => JSON.stringify({ device: 'dev-9', time, temp: 1, humidity: null, site: null, failed: 0 });
    const send = (lines: string[]) => t.app.inject({ method: 'POST', url: SAMPLES, headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
    assert.deepEqual(body(await send([line('2026-03-01T09:00:00Z')])), { accepted: 1, inserted: 1, updated: 0, rejected: 0 });
    assert.deepEqual(body(await send([line('2026-03-01T09:00:00Z'), line('2026-03-01T09:01:00Z')])), { accepted: 2, inserted: 1, updated: 1, rejected: 0 });
  });
});
