/**
 * The history cache over an in-memory source: answers equal the source's for any window and set of
 * entities (the (ts, entity) order included), its size stays within maxSamples (least recently used
 * entities evicted; an entity larger than a tenth of the bound not kept; old samples trimmed as
 * windows move on), and a store read that overlapped a write is used but not kept.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import type { DataWindow, DatasetSchema, RawSample } from '../../src/data/types.ts';
import { HistoryCache, type HistorySource } from '../../src/serving/index.ts';
import type { SampleBatch } from '../../src/store/samples.ts';

const T = 'acme';
const D = 'machines';
const MIN = 60_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const SCHEMA: DatasetSchema = {
  id: D,
  tenantId: T,
  entityKey: 'machine',
  timestamp: 'ts',
  features: [
    { name: 'temp', type: 'numeric', nullable: true },
    { name: 'site', type: 'categorical', nullable: true },
  ],
  label: { name: 'y', type: 'binary', nullable: true },
};

const sample = (entity: string, ts: number, temp: number | null, site: string | null = 'north'): RawSample => ({ entity, ts, values: { temp, site }, label: null });

/** A store in memory: samples in (ts, entity) order, an ingest marker, and how often it was read. */
class FakeStore implements HistorySource {
  samples: RawSample[] = [];
  markerValue: number | null = null;
  loads = 0;
  /** When set, load() waits for it before answering (to overlap a write). */
  gate: Promise<void> | null = null;

  async load(_t: string, _d: string, w: DataWindow, entities: readonly string[]): Promise<RawSample[]> {
    this.loads += 1;
    const answer = this.samples.filter((s) => entities.includes(s.entity) && s.ts >= w.since && s.ts < w.until);
    if (this.gate) await this.gate;
    return answer;
  }

  async marker(): Promise<number | null> {
    return this.markerValue;
  }

  write(rows: RawSample[]): { batch: SampleBatch; previousMarker: number | null; marker: number } {
    for (const r of rows) {
      const at = this.samples.findIndex((s) => s.entity === r.entity && s.ts === r.ts);
      if (at >= 0) this.samples[at] = r;
      else this.samples.push(r);
    }
    this.samples.sort((a, b) => a.ts - b.ts || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
    const previousMarker = this.markerValue;
    this.markerValue = (previousMarker ?? 0) + 1;
    const sites: string[] = [];
    const values = new Float64Array(rows.length * 2);
    rows.forEach((r, i) => {
      values[i * 2] = r.values.temp === null ? Number.NaN : (r.values.temp as number);
      const site = r.values.site as string | null;
      if (site === null) values[i * 2 + 1] = Number.NaN;
      else {
        if (!sites.includes(site)) sites.push(site);
        values[i * 2 + 1] = sites.indexOf(site);
      }
    });
    const batch: SampleBatch = { rows: rows.length, entity: rows.map((r) => r.entity), ts: Float64Array.from(rows.map((r) => r.ts)), label: new Float64Array(rows.length).fill(Number.NaN), values, categories: [[], sites] };
    return { batch, previousMarker, marker: this.markerValue };
  }
}

function setup(maxSamples: number) {
  const store = new FakeStore();
  const clock = new ManualClock(T0);
  const cache = new HistoryCache({ source: store, clock, maxSamples, recheckMs: 5_000 });
  /** A write through the service: the cache hears of it as the data service tells it. */
  const ingest = (rows: RawSample[]) => {
    cache.writing(T, D);
    const w = store.write(rows);
    cache.written({ schema: SCHEMA, ...w });
  };
  return { store, clock, cache, ingest };
}

const fill = (ingest: (rows: RawSample[]) => void, entities: string[], from: number, count: number) =>
  ingest(entities.flatMap((e, k) => Array.from({ length: count }, (_, i) => sample(e, T0 + (from + i) * MIN, 20 + i + k, i % 3 === 0 ? null : `site-${i % 2}`))));

describe('history cache', () => {
  test('answers equal the source for any window and entities, in (ts, entity) order', async () => {
    const { store, cache, ingest } = setup(10_000);
    fill(ingest, ['b', 'a', 'c'], 0, 200);
    for (const [entities, since, until] of [[['a'], 50, 120], [['a'], 60, 100], [['b', 'a'], 10, 150], [['c', 'a', 'zz'], 40, 199], [['a', 'b', 'c'], 0, 300]] as const) {
      const w = { since: T0 + since * MIN, until: T0 + until * MIN };
      assert.deepStrictEqual(await cache.lookup(T, D, entities, w), await store.load(T, D, w, entities), `${entities.join(',')} ${since}-${until}`);
    }
  });

  test('writes are merged into cached entities (new, replaced, out of order) and answers stay equal', async () => {
    const { store, cache, ingest } = setup(10_000);
    fill(ingest, ['a', 'b'], 0, 100);
    const w = { since: T0 + 20 * MIN, until: T0 + 500 * MIN };
    await cache.lookup(T, D, ['a', 'b'], w);
    const loads = store.loads;
    ingest([sample('a', T0 + 150 * MIN, 1), sample('a', T0 + 30 * MIN, 99, 'east'), sample('a', T0 + 30.5 * MIN, 7, null), sample('b', T0 + 10 * MIN, 5), sample('c', T0 + 40 * MIN, 3)]);
    assert.deepStrictEqual(await cache.lookup(T, D, ['a', 'b'], w), await store.load(T, D, w, ['a', 'b']));
    assert.equal(store.loads, loads + 1, 'only the comparison read the store');
  });

  test('a store read that overlapped a write is used but not kept', async () => {
    const { store, cache, ingest } = setup(10_000);
    fill(ingest, ['a'], 0, 50);
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const w = { since: T0, until: T0 + 100 * MIN };
    const reading = cache.lookup(T, D, ['a'], w);
    await new Promise((r) => setImmediate(r));
    ingest([sample('a', T0 + 60 * MIN, 1)]);
    open();
    store.gate = null;
    assert.equal((await reading).length, 50, 'the read answers as of its start');
    assert.equal(cache.stats().entities, 0, 'and is not kept');
    assert.deepStrictEqual(await cache.lookup(T, D, ['a'], w), await store.load(T, D, w, ['a']));
  });

  test('bounded: least recently used entities go first; an entity over a tenth of the bound is not kept', async () => {
    const { cache, ingest } = setup(1_000);
    fill(ingest, ['a', 'b', 'c', 'd', 'e', 'f'], 0, 90);
    fill(ingest, ['big'], 0, 150);
    const w = { since: T0, until: T0 + 90 * MIN };
    for (const e of ['a', 'b', 'c', 'd', 'e', 'f']) await cache.lookup(T, D, [e], w);
    assert.equal(cache.stats().samples, 540);
    await cache.lookup(T, D, ['a'], w); // a is now the most recently used
    await cache.lookup(T, D, ['big'], w);
    assert.equal(cache.stats().entities, 6, 'big (150 > 100 samples) is not kept');
    // 12 entities of 90 samples do not fit in 1,000: the least recently used one (b) goes.
    fill(ingest, ['g', 'h', 'i', 'j', 'k', 'l'], 0, 90);
    for (const e of ['g', 'h', 'i', 'j', 'k', 'l']) await cache.lookup(T, D, [e], w);
    const s = cache.stats();
    assert.equal(s.entities, 11);
    assert.equal(s.samples, 990);
    await cache.lookup(T, D, ['a'], w);
    assert.equal(cache.stats().misses, s.misses, 'a was kept (recently used)');
    await cache.lookup(T, D, ['b'], w);
    assert.equal(cache.stats().misses, s.misses + 1, 'b was evicted');
  });

  test('old samples are dropped as windows move on', async () => {
    const { cache, ingest } = setup(100_000);
    fill(ingest, ['a'], 0, 1_000);
    await cache.lookup(T, D, ['a'], { since: T0, until: T0 + 60 * MIN });
    assert.equal(cache.stats().samples, 1_000);
    await cache.lookup(T, D, ['a'], { since: T0 + 900 * MIN, until: T0 + 960 * MIN });
    assert.equal(cache.stats().samples, 1_000 - 840, 'kept: twice the window back from its end');
  });

  test('a window well in the past (a backfill) is read alone and not kept', async () => {
    const { store, clock, cache, ingest } = setup(100_000);
    fill(ingest, ['a'], 0, 1_000);
    clock.advance(2_000 * MIN);
    const w = { since: T0 + 100 * MIN, until: T0 + 160 * MIN };
    assert.deepStrictEqual(await cache.lookup(T, D, ['a'], w), await store.load(T, D, w, ['a']));
    assert.equal(cache.stats().entities, 0);
  });

  test('maxSamples 0: every lookup reads the source', async () => {
    const { store, cache, ingest } = setup(0);
    fill(ingest, ['a'], 0, 10);
    const w = { since: T0, until: T0 + 60 * MIN };
    await cache.lookup(T, D, ['a'], w);
    await cache.lookup(T, D, ['a'], w);
    assert.equal(store.loads, 2);
    assert.equal(cache.stats().entities, 0);
  });
  test('lookupNow answers from memory exactly as lookup, and only when nothing must be read', async () => {
    const { store, clock, cache, ingest } = setup(10_000);
    fill(ingest, ['a', 'b'], 0, 100);
    const w = { since: T0 + 20 * MIN, until: T0 + 90 * MIN };
    assert.equal(cache.lookupNow(T, D, ['a', 'b'], w), null, 'nothing held yet');
    await cache.lookup(T, D, ['a'], w);
    assert.equal(cache.lookupNow(T, D, ['a', 'b'], w), null, 'b is not held');
    assert.equal(cache.lookupNow(T, D, ['a'], { since: T0, until: w.until }), null, 'a is not held that far back');
    const hits = cache.stats().hits;
    await cache.lookup(T, D, ['b'], w);
    const loads = store.loads;
    assert.deepStrictEqual(cache.lookupNow(T, D, ['b', 'a'], w), await store.load(T, D, w, ['b', 'a']));
    assert.equal(store.loads, loads + 1, 'only the comparison read the store');
    assert.equal(cache.stats().hits, hits + 2, 'one hit per entity, none for the refusals');
    clock.advance(5_000);
    assert.equal(cache.lookupNow(T, D, ['a'], w), null, 'the dataset is due for its marker check');
    await cache.lookup(T, D, ['a'], w);
    assert.notEqual(cache.lookupNow(T, D, ['a'], w), null, 'checked again: held');
  });

  test('maxSamples 0: lookupNow never answers', async () => {
    const { cache, ingest } = setup(0);
    fill(ingest, ['a'], 0, 10);
    const w = { since: T0, until: T0 + 10 * MIN };
    await cache.lookup(T, D, ['a'], w);
    assert.equal(cache.lookupNow(T, D, ['a'], w), null);
  });
});
