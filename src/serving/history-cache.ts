/**
 * Recent samples per (tenant, dataset, entity), so that predicting with lag and rolling features
 * does not read the store on every request.
 *
 * - What a lookup returns is exactly what the store would (loadSamples): the entities' samples with
 *   since ≤ ts < until, in (ts, entity) order, as the same values. Serving then computes the same
 *   features with the cache as without it.
 * - An entity is read from the store once, from the window's start onwards (everything after it),
 *   and kept: later lookups whose window starts no earlier are answered from memory. A lookup
 *   reaching further back reads the store again (and keeps the longer history when it fits). A
 *   window that ends more than its own length before now (a backfill) is read alone and not kept.
 * - Kept in step with ingest: the data service tells it of every write (`writing`, then `written`
 *   with the rows), and the rows of cached entities are merged in, replacing a sample with the same
 *   (entity, ts) as the store does. A store read that overlapped a write is used for its request but
 *   not kept.
 * - Other processes' writes (another node, `nightshift ingest` beside the server): every dataset's
 *   ingest marker (moved by every ingest, by anyone) is read again at most every recheckMs when the
 *   dataset is looked up, and an ingest of this process sees the marker it replaces. A marker that
 *   moved without this process knowing drops the dataset's entities. So another process's ingest is
 *   seen within recheckMs.
 * - Bounded: at most maxSamples samples in all, least recently used entities evicted first; an
 *   entity whose history alone exceeds a tenth of the bound is not kept. An entity's samples older
 *   than twice the longest window it was asked for are dropped as its windows move on. maxSamples 0
 *   turns the cache off: every lookup reads the store.
 */
import type { Clock } from '../clock.ts';
import type { DataWindow, DatasetSchema, RawSample } from '../data/types.ts';
import { sampleOfBatchRow, type SampleBatch } from '../store/samples.ts';

/** Where the cache reads what it does not hold. */
export interface HistorySource {
  /** The store's samples of these entities with since ≤ ts < until, in (ts, entity) order. */
  load(tenantId: string, datasetId: string, window: DataWindow, entities: readonly string[]): Promise<RawSample[]>;
  /** The dataset's ingest marker: moved by every ingest of any process; null before the first. */
  marker(tenantId: string, datasetId: string): Promise<number | null>;
}

export interface HistoryCacheOptions {
  source: HistorySource;
  clock: Clock;
  /** Samples held in all (0: no cache). */
  maxSamples: number;
  /** How often a dataset's ingest marker is read again (other processes' writes), ms. */
  recheckMs: number;
}

/** What an ingest wrote (data/ingest WrittenSamples). */
export interface WrittenBatch {
  schema: DatasetSchema;
  batch: SampleBatch;
  previousMarker: number | null;
  marker: number;
}

export interface HistoryCacheStats {
  entities: number;
  samples: number;
  maxSamples: number;
  /** Entities answered from memory / read from the store. */
  hits: number;
  misses: number;
  /** Store reads of samples (one per lookup that missed, whatever the number of entities). */
  storeReads: number;
  /** Datasets dropped because another process wrote to them. */
  invalidations: number;
}

/** Later than any sample can be (year 9999). */
const END_OF_TIME = 253_402_300_800_000;

interface DatasetState {
  readonly key: string;
  /** Last ingest marker known; undefined: not read yet. */
  marker: number | null | undefined;
  checkedAt: number;
  /** Moves on every write, reset and drop: a store read started under another generation is not kept. */
  generation: number;
  readonly entities: Map<string, EntityEntry>;
}

interface EntityEntry {
  readonly key: string;
  readonly dataset: DatasetState;
  readonly entity: string;
  /** Every stored sample of the entity with ts ≥ since is in `samples`, in ts order. */
  since: number;
  samples: RawSample[];
  /** The longest window (until − since) asked for. */
  reach: number;
}

export class HistoryCache {
  readonly #o: HistoryCacheOptions;
  readonly #datasets = new Map<string, DatasetState>();
  /** Every entry, least recently used first. */
  readonly #lru = new Map<string, EntityEntry>();
  #samples = 0;
  #counters = { hits: 0, misses: 0, storeReads: 0, invalidations: 0 };

  constructor(options: HistoryCacheOptions) {
    this.#o = options;
  }

  get enabled(): boolean {
    return this.#o.maxSamples > 0;
  }

  stats(): HistoryCacheStats {
    return { entities: this.#lru.size, samples: this.#samples, maxSamples: this.#o.maxSamples, ...this.#counters };
  }

  /** The entities' samples with window.since ≤ ts < window.until, in (ts, entity) order: what the store holds. */
  async lookup(tenantId: string, datasetId: string, entities: readonly string[], window: DataWindow): Promise<RawSample[]> {
    const warm = this.lookupNow(tenantId, datasetId, entities, window);
    if (warm) return warm;
    if (!this.enabled) {
      this.#counters.storeReads += 1;
      this.#counters.misses += entities.length;
      return this.#o.source.load(tenantId, datasetId, window, entities);
    }
    const ds = this.#dataset(tenantId, datasetId);
    await this.#revalidate(ds, tenantId, datasetId);
    const parts: RawSample[][] = [];
    const cold: string[] = [];
    for (const entity of entities) {
      const entry = ds.entities.get(entity);
      if (entry && entry.since <= window.since) {
        this.#counters.hits += 1;
        this.#touch(entry);
        parts.push(inWindow(entry.samples, window));
        this.#trim(entry, window);
      } else cold.push(entity);
    }
    if (cold.length > 0) {
      this.#counters.misses += cold.length;
      this.#counters.storeReads += 1;
      // A window well in the past (a backfill): read just it, as keeping it would read all that follows.
      const span = window.until - window.since;
      if (window.until < this.#o.clock.now() - span) {
        parts.push(await this.#o.source.load(tenantId, datasetId, window, cold));
        return parts.length === 1 ? parts[0]! : mergeByTimeThenEntity(parts);
      }
      const generation = ds.generation;
      const loaded = await this.#o.source.load(tenantId, datasetId, { since: window.since, until: END_OF_TIME }, cold);
      const byEntity = groupByEntity(loaded);
      const keep = ds.generation === generation;
      for (const entity of cold) {
        const samples = byEntity.get(entity) ?? [];
        parts.push(inWindow(samples, window));
        if (keep) this.#install(ds, entity, samples, window);
      }
    }
    if (parts.length === 1) return parts[0]!;
    return mergeByTimeThenEntity(parts);
  }

  /**
   * lookup() answered from memory without a promise (null when it cannot be: the cache is off, the
   * dataset is due for its marker check, or an entity is not held for the whole window). Counts and
   * keeps the entities as lookup() does; lookup() tries it first.
   */
  lookupNow(tenantId: string, datasetId: string, entities: readonly string[], window: DataWindow): RawSample[] | null {
    if (!this.enabled) return null;
    const ds = this.#datasets.get(keyOf(tenantId, datasetId));
    if (!ds) return null;
    const age = this.#o.clock.now() - ds.checkedAt;
    if (!(age < this.#o.recheckMs && age >= 0)) return null;
    for (const entity of entities) {
      const entry = ds.entities.get(entity);
      if (!entry || entry.since > window.since) return null;
    }
    const parts: RawSample[][] = [];
    for (const entity of entities) {
      const entry = ds.entities.get(entity)!;
      this.#counters.hits += 1;
      this.#touch(entry);
      parts.push(inWindow(entry.samples, window));
      this.#trim(entry, window);
    }
    return parts.length === 1 ? parts[0]! : mergeByTimeThenEntity(parts);
  }

  /** A write to the dataset may begin: store reads under way are not kept. */
  writing(tenantId: string, datasetId: string): void {
    const ds = this.#datasets.get(keyOf(tenantId, datasetId));
    if (ds) ds.generation += 1;
  }

  /** A write committed: its rows join the cached entities' histories. */
  written(w: WrittenBatch): void {
    const ds = this.#datasets.get(keyOf(w.schema.tenantId, w.schema.id));
    if (!ds) return;
    ds.generation += 1;
    // Someone else wrote since this process last knew the marker: what is held may miss their rows.
    if (ds.marker !== undefined && w.previousMarker !== ds.marker) this.#drop(ds, true);
    ds.marker = w.marker;
    ds.checkedAt = this.#o.clock.now();
    if (ds.entities.size === 0) return;
    const { batch } = w;
    for (let i = 0; i < batch.rows; i += 1) {
      const entry = ds.entities.get(batch.entity[i]!);
      if (!entry || batch.ts[i]! < entry.since) continue;
      this.#samples += upsert(entry.samples, sampleOfBatchRow(w.schema, batch, i));
    }
    this.#evict();
  }

  /** The dataset changed other than by an ingest: forget it. */
  reset(tenantId: string, datasetId: string): void {
    const ds = this.#datasets.get(keyOf(tenantId, datasetId));
    if (ds) this.#drop(ds, false);
  }

  #dataset(tenantId: string, datasetId: string): DatasetState {
    const key = keyOf(tenantId, datasetId);
    let ds = this.#datasets.get(key);
    if (!ds) {
      ds = { key, marker: undefined, checkedAt: Number.NEGATIVE_INFINITY, generation: 0, entities: new Map() };
      this.#datasets.set(key, ds);
    }
    return ds;
  }

  /** Reads the dataset's marker when it was last read recheckMs ago or more (or the clock went back). */
  async #revalidate(ds: DatasetState, tenantId: string, datasetId: string): Promise<void> {
    const now = this.#o.clock.now();
    const age = now - ds.checkedAt;
    if (age < this.#o.recheckMs && age >= 0) return;
    ds.checkedAt = now;
    const generation = ds.generation;
    const marker = await this.#o.source.marker(tenantId, datasetId);
    // A write of this process meanwhile set the marker itself (and knows better).
    if (ds.generation !== generation || marker === ds.marker) return;
    if (ds.marker !== undefined) this.#drop(ds, true);
    ds.marker = marker;
  }

  #install(ds: DatasetState, entity: string, samples: RawSample[], window: DataWindow): void {
    const previous = ds.entities.get(entity);
    if (previous) this.#remove(previous);
    if (samples.length > this.#o.maxSamples / 10) return;
    const entry: EntityEntry = { key: `${ds.key}\u0000${entity}`, dataset: ds, entity, since: window.since, samples, reach: window.until - window.since };
    ds.entities.set(entity, entry);
    this.#lru.set(entry.key, entry);
    this.#samples += samples.length;
    this.#evict();
  }

  #touch(entry: EntityEntry): void {
    this.#lru.delete(entry.key);
    this.#lru.set(entry.key, entry);
  }

  /** Drops what is older than twice the longest window asked for, counted back from this window's end. */
  #trim(entry: EntityEntry, window: DataWindow): void {
    entry.reach = Math.max(entry.reach, window.until - window.since);
    const from = window.until - 2 * entry.reach;
    if (from <= entry.since) return;
    const cut = firstAtOrAfter(entry.samples, from);
    // Cutting a few samples at a time would copy the array on every lookup.
    if (cut < 64 && cut * 2 < entry.samples.length) return;
    entry.samples = entry.samples.slice(cut);
    entry.since = from;
    this.#samples -= cut;
  }

  #evict(): void {
    for (const entry of this.#lru.values()) {
      if (this.#samples <= this.#o.maxSamples) return;
      this.#remove(entry);
    }
  }

  #remove(entry: EntityEntry): void {
    entry.dataset.entities.delete(entry.entity);
    this.#lru.delete(entry.key);
    this.#samples -= entry.samples.length;
  }

  #drop(ds: DatasetState, invalidated: boolean): void {
    for (const entry of [...ds.entities.values()]) this.#remove(entry);
    ds.generation += 1;
    if (invalidated) this.#counters.invalidations += 1;
  }
}

const keyOf = (tenantId: string, datasetId: string) => `${tenantId}\u0000${datasetId}`;

/** Index of the first sample with ts ≥ t (samples in ts order). */
function firstAtOrAfter(samples: readonly RawSample[], t: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid]!.ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A copy of the samples with since ≤ ts < until (the caller may hold it while writes change the entry). */
const inWindow = (samples: readonly RawSample[], w: DataWindow): RawSample[] => samples.slice(firstAtOrAfter(samples, w.since), firstAtOrAfter(samples, w.until));

/** Puts the sample at its place in ts order, replacing one with the same ts; returns the change in count. */
function upsert(samples: RawSample[], sample: RawSample): number {
  const n = samples.length;
  if (n === 0 || samples[n - 1]!.ts < sample.ts) {
    samples.push(sample);
    return 1;
  }
  const at = firstAtOrAfter(samples, sample.ts);
  if (at < n && samples[at]!.ts === sample.ts) {
    samples[at] = sample;
    return 0;
  }
  samples.splice(at, 0, sample);
  return 1;
}

/** Samples in (ts, entity) order → each entity's samples in ts order. */
function groupByEntity(samples: readonly RawSample[]): Map<string, RawSample[]> {
  const out = new Map<string, RawSample[]>();
  for (const s of samples) {
    const list = out.get(s.entity);
    if (list) list.push(s);
    else out.set(s.entity, [s]);
  }
  return out;
}

/** Several entities' samples in the store's order: ts, then entity by code units (sample-window.ts). */
function mergeByTimeThenEntity(parts: readonly RawSample[][]): RawSample[] {
  const all = parts.flat();
  return all.sort((a, b) => a.ts - b.ts || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
}
