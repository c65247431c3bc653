/**
 * The model cache's memory bound is a setting (NIGHTSHIFT_MODEL_CACHE_MB) and /health shows the
 * cache: its bound, size, entries, loads and evictions (issue 14, item 23), read from memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { serveChampion, SERVING_START } from '../fixtures/serving/champion.ts';

interface CacheBody {
  maxBytes: number;
  bytes: number;
  entries: number;
  loads: number;
  evictions: number;
  loadErrors: number;
  hits: number;
  misses: number;
}

const VALUES = { model: 'M200', temperature: 80, vibration: 3, pressure: 120, rpm: 1800, load: 0.8, voltage: 230 };
const MIB = 1_048_576;

describe('/health shows the model cache, bounded by NIGHTSHIFT_MODEL_CACHE_MB', () => {
  let t: TestApi;
  const cache = async () => {
    const res = await t.app.inject({ url: '/health' });
    assert.equal(res.statusCode, 200, res.body);
    const h = body<{ modelCache?: CacheBody }>(res);
    assert.ok(h.modelCache, `/health has modelCache: ${res.body}`);
    return h.modelCache;
  };
  const predict = async (model: string) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/tenants/acme/models/${model}/predict`, payload: { values: VALUES } });
    assert.equal(res.statusCode, 200, res.body);
  };

  before(async () => {
    t = await openTestApi({ start: SERVING_START, modelCacheMb: 1 });
    // Two champions of 0.6 MiB each: both do not fit in 1 MiB.
    await serveChampion(t.engine, { name: 'failure', padBytes: 600_000 });
    await serveChampion(t.engine, { name: 'second', padBytes: 600_000 });
  });
  after(() => t.close());

  test('the bound comes from the setting; nothing loaded yet', async () => {
    const c = await cache();
    assert.equal(c.maxBytes, 1 * MIB);
    assert.deepEqual([c.entries, c.bytes, c.loads, c.evictions, c.loadErrors], [0, 0, 0, 0, 0]);
    assert.equal(t.engine.models.cache.stats().entries, 0);
  });

  test('loads and evictions are counted as models are served', async () => {
    await predict('failure');
    let c = await cache();
    assert.deepEqual([c.entries, c.loads, c.evictions], [1, 1, 0]);
    assert.ok(c.bytes > 600_000 && c.bytes <= c.maxBytes, `bytes ${c.bytes}`);
    await predict('second');
    c = await cache();
    assert.deepEqual([c.entries, c.loads, c.evictions], [1, 2, 1], 'the first model was evicted to stay under 1 MiB');
    await predict('failure');
    await predict('failure');
    c = await cache();
    assert.deepEqual([c.entries, c.loads, c.evictions], [1, 3, 2]);
    assert.ok(c.hits >= 1 && c.misses >= 3, JSON.stringify(c));
  });

  test('the history cache is shown beside it', async () => {
    const h = body<{ historyCache?: { maxSamples: number; entities: number; storeReads: number } }>(await t.app.inject({ url: '/health' }));
    assert.equal(h.historyCache?.maxSamples, 100_000);
    assert.equal(h.historyCache?.entities, 0, 'rows without an entity need no history');
  });
});
