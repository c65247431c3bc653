/**
 * The per-entity history cache on the real predict path (issue 14, benchmark "HTTP predict"): a
 * model with lag and rolling features served by an engine with the cache and by one without it
 * (NIGHTSHIFT_HISTORY_CACHE_SAMPLES=0: every request reads the store), over one SQLite store. The
 * history served and the predictions are the same, bit for bit: for a cold entity, a warm one, a
 * batch of several (one never cached, one unknown), after an ingest of newer rows and of a re-sent
 * row through the cached engine's data service (merged in, no store read), and after an ingest by
 * the other engine (another process: seen once the dataset's marker is read again, recheckMs later).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { requiredHistorySeconds, transformForServing } from '../../src/data/features/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { loadSamples } from '../../src/store/sample-window.ts';
import { openTestApi, type TestApi } from '../helpers/api.ts';
import { openTestEngine, type TestEngine } from '../helpers/engine.ts';
import { fleetCsv } from '../fixtures/training/fleet.ts';
import { latestValues, serveChampion, SERVING_START } from '../fixtures/serving/champion.ts';

const T = 'acme';
const M = 'failure';
const HOUR = 3_600_000;

describe('history cache: the served features equal those read from the store', () => {
  const clock = new ManualClock(SERVING_START);
  let cached: TestApi;
  let plain: TestEngine;
  let samples: RawSample[];

  before(async () => {
    cached = await openTestApi({ clock });
    ({ samples } = await serveChampion(cached.engine));
    plain = await openTestEngine({ dialect: 'sqlite', dataDir: cached.engine.settings.dataDir, databaseUrl: null }, { clock, historyCacheSamples: 0 });
  });
  after(async () => {
    await plain.close();
    await cached.close();
  });

  const stats = () => cached.engine.models.recentSamples.stats();
  /** Both engines answer the same rows alike; returns the cached engine's answer. */
  async function same(rows: Array<Record<string, unknown>>, what: string) {
    const a = await cached.engine.models.predict(T, M, rows);
    const b = await plain.engine.models.predict(T, M, rows);
    assert.deepStrictEqual(a.predictions, b.predictions, `${what}: predictions with and without the cache`);
    return a;
  }
  /** The history the cache hands the transform equals the store's, and so do the features. */
  async function sameHistory(rows: RawSample[], what: string) {
    const served = await cached.engine.models.cache.get(T, M);
    const spec = served.predictor.featureSpec;
    const since = Math.min(...rows.map((r) => r.ts)) - requiredHistorySeconds(spec) * 1000;
    const window = { since, until: Math.max(...rows.map((r) => r.ts)) };
    const entities = [...new Set(rows.map((r) => r.entity))];
    const fromCache = await cached.engine.models.recentSamples.lookup(T, 'machines', entities, window);
    const fromStore = await loadSamples(cached.engine.db.k, T, 'machines', window, entities);
    assert.deepStrictEqual(fromCache, fromStore, `${what}: history`);
    assert.deepStrictEqual(transformForServing(spec, rows, fromCache).X, transformForServing(spec, rows, fromStore).X, `${what}: features`);
  }

  test('a cold entity is read once; then it is answered from memory', async () => {
    const row = { entity: 'm-001', values: latestValues(samples, 'm-001') };
    await same([{ ...row, ts: SERVING_START - 5 * HOUR }], 'cold');
    assert.equal(stats().storeReads, 1);
    assert.equal(stats().entities, 1);
    await same([row], 'warm, now');
    await same([{ ...row, ts: SERVING_START - 2 * HOUR }], 'warm, an earlier time within what is held');
    assert.equal(stats().storeReads, 1, 'no store read for a warm entity');
    assert.equal(stats().hits, 2);
    await same([{ ...row, ts: SERVING_START - 9 * HOUR }], 'further back than what is held');
    assert.equal(stats().storeReads, 2, 'a window reaching further back reads the store again');
  });

  test('a batch: a warm entity, one never cached, one unknown, at different times', async () => {
    const rows = [
      { entity: 'm-001', values: latestValues(samples, 'm-001') },
      { entity: 'm-003', values: latestValues(samples, 'm-003'), ts: SERVING_START - 2 * HOUR },
      { entity: 'm-999', values: latestValues(samples, 'm-002') },
      { values: latestValues(samples, 'm-004') },
    ];
    await same(rows, 'batch');
    await sameHistory(
      rows.map((r) => ({ entity: r.entity ?? '', ts: r.ts ?? clock.now(), values: r.values, label: null })).filter((r) => r.entity !== ''),
      'batch',
    );
  });

  test('an ingest of newer rows through the service is merged in without a store read', async () => {
    const reads = stats().storeReads;
    const next = (entity: string, ts: number, temperature: number): RawSample => ({ entity, ts, values: { ...latestValues(samples, entity), temperature }, label: 0 });
    const newer = [next('m-001', SERVING_START + 10 * 60_000, 99.5), next('m-001', SERVING_START + 40 * 60_000, 101.25), next('m-003', SERVING_START + 20 * 60_000, 77)];
    const res = await cached.engine.data.ingest({ tenantId: T, datasetId: 'machines', format: 'csv', body: fleetCsv(newer) });
    assert.deepEqual(res, { accepted: 3, inserted: 3, updated: 0, rejected: 0 });
    clock.advance(HOUR);
    const row = { entity: 'm-001', values: latestValues(samples, 'm-001') };
    await same([row], 'after the ingest');
    await same([row, { entity: 'm-003', values: latestValues(samples, 'm-003') }], 'after the ingest, two entities');
    assert.equal(stats().storeReads, reads, 'the ingested rows came from the ingest, not from the store');
    await sameHistory([{ entity: 'm-001', ts: clock.now(), values: row.values, label: null }], 'after the ingest');

    // A re-sent row with new values replaces the held one, as it does the stored one.
    const resent = await cached.engine.data.ingest({ tenantId: T, datasetId: 'machines', format: 'csv', body: fleetCsv([next('m-001', SERVING_START + 40 * 60_000, 55)]) });
    assert.deepEqual(resent, { accepted: 1, inserted: 0, updated: 1, rejected: 0 });
    await same([row], 'after a re-sent row');
    await sameHistory([{ entity: 'm-001', ts: clock.now(), values: row.values, label: null }], 'after a re-sent row');
  });

  test("another process's ingest is seen once the dataset's marker is read again", async () => {
    const other = { entity: 'm-001', ts: clock.now() - 5 * 60_000, values: { ...latestValues(samples, 'm-001'), temperature: 140 }, label: 1 };
    await plain.engine.data.ingest({ tenantId: T, datasetId: 'machines', format: 'csv', body: fleetCsv([other]) });
    clock.advance(6_000); // past the 5 s recheck
    const row = { entity: 'm-001', values: latestValues(samples, 'm-001') };
    await same([row], "after another process's ingest");
    assert.equal(stats().invalidations, 1, 'the dataset was dropped once');
    await sameHistory([{ entity: 'm-001', ts: clock.now(), values: row.values, label: null }], "after another process's ingest");
  });
});
