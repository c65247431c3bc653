/**
 * Champions in memory, per (tenant, model), ready to predict.
 *
 * - Lazy: a model is loaded on its first `get()`. Loads, refreshes and revalidations of one key run
 *   one at a time, in order; concurrent `get()`s of a model being loaded share that one load.
 * - Hot swap: `refresh()` (call it after a promotion or rollback) asks the store for the champion
 *   and, when it changed, loads it and swaps the entry in one synchronous step. Callers holding the
 *   previous predictor keep it: it is closed (its ONNX session released) only once its in-flight
 *   predictions and `use()` callbacks are done (see served-predictor.ts).
 * - Stale-while-revalidate: an entry last checked recheckMs ago or more (or "in the future", when the
 *   clock went back) is still returned at once by `get()`, which starts a background check of the
 *   store's champion (one cheap query). When another node or process promoted a new version, it is
 *   loaded and swapped in, and later `get()`s see it. So a change made elsewhere is served at most
 *   recheckMs + one load after it, without any `get()` waiting for the store.
 * - Failures keep the previous champion: when the new champion cannot be loaded (corrupted or
 *   missing artifact, an artifact that cannot be served, the store down) the error is logged, kept
 *   (`lastError`) and emitted, `refresh()` rejects with it, and the previous predictor keeps serving.
 *   With nothing to serve, `get()` rejects with it; that failure is remembered for recheckMs (so a
 *   broken model does not cost a store read per request) unless `refresh()` is called.
 * - Memory: entries are evicted least recently used first while the sum of their sizeBytes exceeds
 *   maxBytes (the entry just loaded is kept even when it alone exceeds it).
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.ts';
import { isNsError, NsError } from '../errors.ts';
import { versionName, type ModelRegistry, type ModelVersion } from '../registry/index.ts';
import { cappedTimeout } from '../timers.ts';
import { ModelCacheEvents } from './model-cache-events.ts';
import { loadPredictor, type Predictor } from './predictor.ts';
import { ServedPredictor } from './served-predictor.ts';

export interface ModelCacheOptions {
  registry: ModelRegistry;
  /** Upper bound on the sum of cached predictors' sizeBytes (default 256 MiB). */
  maxBytes?: number;
  /** An entry older than this is checked against the store's champion on its next get (default 5000). */
  recheckMs?: number;
  /** close() waits this long for in-flight predictions before releasing their models anyway (default 10000). */
  closeTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export const MODEL_CACHE_DEFAULTS = Object.freeze({ maxBytes: 256 * 1024 * 1024, recheckMs: 5_000, closeTimeoutMs: 10_000 });

/** Failures remembered for lastError and for not reloading a broken model on every request. */
const MAX_REMEMBERED_ERRORS = 1_000;

export interface ServedModel {
  readonly tenantId: string;
  readonly modelName: string;
  readonly version: ModelVersion;
  readonly predictor: Predictor;
}

export interface ModelCacheStats {
  /** The bound on bytes (maxBytes). */
  maxBytes: number;
  entries: number;
  /** Sum of sizeBytes of the cached predictors. */
  bytes: number;
  /** get() answered from the cache / get() that was not (it waited for a load, or got a remembered failure). */
  hits: number;
  misses: number;
  /** Champion artifacts read and loaded (attempts). */
  loads: number;
  evictions: number;
  /** Failed loads, refreshes and revalidations ("no champion" and invalid names are not counted). */
  loadErrors: number;
  /** Replaced or evicted predictors still in use, not yet released. */
  retiring: number;
}

interface Entry {
  readonly key: string;
  readonly served: ServedModel;
  readonly slot: ServedPredictor;
  checkedAt: number;
}

type SyncReason = 'load' | 'refresh' | 'revalidate';

export class ModelCache {
  readonly events = new ModelCacheEvents();
  readonly #registry: ModelRegistry;
  readonly #options: Readonly<{ maxBytes: number; recheckMs: number; closeTimeoutMs: number }>;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  /** Insertion order = recency: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  /** The last queued load/refresh/revalidation per key (each runs after the previous one). */
  readonly #pending = new Map<string, Promise<Entry>>();
  readonly #errors = new Map<string, { error: unknown; at: number }>();
  /** Every predictor not yet closed: cached and retiring. */
  readonly #slots = new Set<ServedPredictor>();
  #bytes = 0;
  #counters = { hits: 0, misses: 0, loads: 0, evictions: 0, loadErrors: 0 };
  #closing: Promise<void> | null = null;

  constructor(options: ModelCacheOptions) {
    this.#registry = options.registry;
    this.#options = compileOptions(options);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
  }

  /** The champion of a model, loaded on first use; NS_NOT_FOUND when it has none. */
  async get(tenantId: string, modelName: string): Promise<ServedModel> {
    return (await this.#entry(tenantId, modelName)).served;
  }

  /**
   * Runs fn with the champion, holding it for the whole call: even when a refresh replaces it
   * meanwhile, its predictor stays open until fn settles. Use it when awaiting other work (loading
   * history, say) between getting the model and predicting.
   */
  async use<T>(tenantId: string, modelName: string, fn: (model: ServedModel) => T | Promise<T>): Promise<T> {
    // A model in memory (the usual case) costs no promise of its own; fn answering synchronously neither.
    const entry = this.#entryNow(tenantId, modelName) ?? (await this.#load(tenantId, modelName));
    entry.slot.acquire();
    try {
      const out = fn(entry.served);
      return out instanceof Promise ? await out : out;
    } finally {
      entry.slot.release();
    }
  }

  /**
   * Re-reads the champion and swaps it in when it changed (after a promotion or rollback). Rejects
   * with the load error when the new champion cannot be loaded; the previous one keeps serving.
   * A model not in the cache is not loaded: its remembered failure, if any, is forgotten so that
   * the next get() tries again.
   */
  async refresh(tenantId: string, modelName: string): Promise<void> {
    this.#checkOpen();
    const key = keyOf(tenantId, modelName);
    if (!this.#entries.has(key) && !this.#pending.has(key)) {
      const failed = this.#errors.get(key);
      if (failed) failed.at = Number.NEGATIVE_INFINITY;
      return;
    }
    await this.#enqueue(key, tenantId, modelName, 'refresh');
  }

  /** The version of this model in memory, serving; null when none is (not loaded yet, evicted, or never loadable). */
  loadedVersion(tenantId: string, modelName: string): number | null {
    return this.#entries.get(keyOf(tenantId, modelName))?.served.version.version ?? null;
  }

  /**
   * Drops every model of a deleted tenant: nothing of it is served from memory any more (a
   * prediction in flight finishes with the predictor it holds). A new tenant of the same id starts
   * from the store.
   */
  forgetTenant(tenantId: string): void {
    for (const [key, entry] of this.#entries) if (entry.served.tenantId === tenantId) this.#drop(key);
    for (const key of this.#errors.keys()) if (key.startsWith(keyOf(tenantId, ''))) this.#errors.delete(key);
  }

  #drop(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.slot.inner.sizeBytes;
    entry.slot.retire();
  }

  /** The last error loading or checking this model's champion; null after a success. */
  lastError(tenantId: string, modelName: string): unknown {
    return this.#errors.get(keyOf(tenantId, modelName))?.error ?? null;
  }

  stats(): ModelCacheStats {
    let retiring = 0;
    for (const slot of this.#slots) if (slot.retired) retiring += 1;
    return { maxBytes: this.#options.maxBytes, entries: this.#entries.size, bytes: this.#bytes, ...this.#counters, retiring };
  }

  /**
   * Stops serving: get() rejects with NS_SHUTTING_DOWN, pending loads are awaited, and every
   * predictor is released once its in-flight predictions finish, or after closeTimeoutMs anyway.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const deadline = boundedWait(this.#options.closeTimeoutMs);
    try {
      await Promise.race([Promise.allSettled([...this.#pending.values()]), deadline.promise]);
      for (const entry of this.#entries.values()) entry.slot.retire();
      this.#entries.clear();
      this.#bytes = 0;
      const open = [...this.#slots];
      const drained = Promise.all(open.map((slot) => slot.released));
      await Promise.race([drained, deadline.promise]);
      await Promise.all([...this.#slots].map((slot) => slot.close()));
    } finally {
      deadline.cancel();
    }
  }

  #checkOpen(): void {
    if (this.#closing) throw new NsError('NS_SHUTTING_DOWN', 'the model cache is closed: the service is shutting down');
  }

  /** The entry when it is in memory (a hit: counted, made most recent, revalidated when due), else null. */
  #entryNow(tenantId: string, modelName: string): Entry | null {
    this.#checkOpen();
    const key = keyOf(tenantId, modelName);
    const cached = this.#entries.get(key);
    if (!cached) return null;
    const now = this.#clock.now();
    this.#counters.hits += 1;
    this.#entries.delete(key);
    this.#entries.set(key, cached);
    if (this.#isStale(cached.checkedAt, now) && !this.#pending.has(key)) {
      cached.checkedAt = now; // one check per recheckMs, whatever its outcome
      this.#enqueue(key, tenantId, modelName, 'revalidate').catch(() => undefined); // recorded in #sync
    }
    return cached;
  }

  async #entry(tenantId: string, modelName: string): Promise<Entry> {
    return this.#entryNow(tenantId, modelName) ?? this.#load(tenantId, modelName);
  }

  /** A miss: the entry loaded (or the load in flight joined). */
  async #load(tenantId: string, modelName: string): Promise<Entry> {
    const key = keyOf(tenantId, modelName);
    const now = this.#clock.now();
    this.#counters.misses += 1;
    const inFlight = this.#pending.get(key);
    const failed = this.#errors.get(key);
    if (!inFlight && failed && !this.#isStale(failed.at, now)) throw failed.error;
    try {
      return await (inFlight ?? this.#enqueue(key, tenantId, modelName, 'load'));
    } catch (error) {
      // A queued revalidation may have failed after an earlier load in the queue succeeded.
      const loaded = this.#entries.get(key);
      if (loaded) return loaded;
      throw error;
    }
  }

  #isStale(at: number, now: number): boolean {
    const age = now - at;
    return age >= this.#options.recheckMs || age < 0;
  }

  #enqueue(key: string, tenantId: string, modelName: string, reason: SyncReason): Promise<Entry> {
    const previous = this.#pending.get(key);
    const run = () => this.#sync(key, tenantId, modelName, reason);
    const op = previous ? previous.then(run, run) : run();
    this.#pending.set(key, op);
    const clear = () => {
      if (this.#pending.get(key) === op) this.#pending.delete(key);
    };
    op.then(clear, clear);
    return op;
  }

  /** Asks the store for the champion; loads and swaps it in when it is not the one cached. */
  async #sync(key: string, tenantId: string, modelName: string, reason: SyncReason): Promise<Entry> {
    const started = this.#clock.now();
    let loading = false;
    let attempted: number | null = null;
    try {
      const version = await this.#registry.champion(tenantId, modelName);
      if (!version) {
        throw new NsError('NS_NOT_FOUND', `model "${modelName}" of tenant "${tenantId}" has no champion: promote a version before serving it`, {
          field: 'modelName',
          details: { tenantId, modelName },
        });
      }
      const current = this.#entries.get(key);
      if (current && current.served.version.version === version.version && current.served.version.artifact.sha256 === version.artifact.sha256) {
        current.checkedAt = this.#clock.now();
        this.#errors.delete(key);
        this.events.emit('model:unchanged', { tenantId, modelName, version: version.version });
        return current;
      }
      loading = true;
      attempted = version.version;
      this.#counters.loads += 1;
      const what = `champion model "${modelName}" version ${version.version} (${versionName(tenantId, modelName, version.version)})`;
      const bytes = await this.#registry.artifacts.read(tenantId, version.artifact.sha256, what);
      const predictor = await loadPredictor(bytes).catch((cause: unknown) => {
        throw new NsError('NS_CONFLICT', `${what} cannot be served: ${(cause as Error).message}`, {
          cause,
          ...(isNsError(cause) && cause.field !== undefined ? { field: cause.field } : {}),
          details: { tenantId, modelName, version: version.version },
        });
      });
      if (this.#closing) {
        await predictor.close().catch(() => undefined);
        throw new NsError('NS_SHUTTING_DOWN', 'the model cache is closed: the service is shutting down');
      }
      return this.#install(key, version, predictor, this.#clock.now() - started);
    } catch (error) {
      // No champion any more (its tenant was deleted, on this node or another): stop serving the old one.
      if (!loading && isNsError(error) && error.code === 'NS_NOT_FOUND') this.#drop(key);
      this.#fail(key, tenantId, modelName, reason, loading, attempted, error);
      throw error;
    }
  }

  #install(key: string, version: ModelVersion, predictor: Predictor, ms: number): Entry {
    const { tenantId, modelName } = version;
    const slot: ServedPredictor = new ServedPredictor(predictor, (error) => {
      this.#slots.delete(slot);
      if (error) this.#logger?.warn({ err: error, tenantId, modelName, version: version.version }, 'model cache: closing a predictor failed');
      this.events.emit('model:released', { tenantId, modelName, version: version.version });
    });
    this.#slots.add(slot);
    const entry: Entry = { key, served: Object.freeze({ tenantId, modelName, version, predictor: slot.view }), slot, checkedAt: this.#clock.now() };
    const previous = this.#entries.get(key);
    if (previous) {
      this.#entries.delete(key);
      this.#bytes -= previous.slot.inner.sizeBytes;
      previous.slot.retire();
    }
    this.#entries.set(key, entry);
    this.#bytes += predictor.sizeBytes;
    this.#errors.delete(key);
    const previousVersion = previous ? previous.served.version.version : null;
    this.#logger?.info({ tenantId, modelName, version: version.version, previousVersion, sizeBytes: predictor.sizeBytes, ms }, 'model cache: champion loaded');
    this.events.emit('model:loaded', { tenantId, modelName, version: version.version, previousVersion, sizeBytes: predictor.sizeBytes, ms });
    this.#evict(key);
    return entry;
  }

  #evict(keep: string): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.#options.maxBytes) return;
      if (key === keep) continue;
      this.#entries.delete(key);
      this.#bytes -= entry.slot.inner.sizeBytes;
      entry.slot.retire();
      this.#counters.evictions += 1;
      const { tenantId, modelName, version } = entry.served;
      this.events.emit('model:evicted', { tenantId, modelName, version: version.version, sizeBytes: entry.slot.inner.sizeBytes });
    }
    if (this.#bytes > this.#options.maxBytes) {
      this.#logger?.warn({ key: keep, bytes: this.#bytes, maxBytes: this.#options.maxBytes }, 'model cache: one model alone exceeds maxBytes; serving it anyway');
    }
  }

  #fail(key: string, tenantId: string, modelName: string, reason: SyncReason, loading: boolean, version: number | null, error: unknown): void {
    this.#errors.delete(key);
    this.#errors.set(key, { error, at: this.#clock.now() });
    if (this.#errors.size > MAX_REMEMBERED_ERRORS) this.#errors.delete(this.#errors.keys().next().value as string);
    // Nothing to load (no champion, or names that cannot exist) is the caller's business, not a load error.
    const nothingToLoad = !loading && isNsError(error) && (error.code === 'NS_NOT_FOUND' || error.code === 'NS_VALIDATION');
    if (!nothingToLoad) this.#counters.loadErrors += 1;
    const serving = this.#entries.get(key)?.served.version.version ?? null;
    const log = { err: error, tenantId, modelName, reason, servingVersion: serving };
    if (nothingToLoad) this.#logger?.debug(log, 'model cache: nothing to serve');
    else this.#logger?.error(log, serving === null ? 'model cache: cannot load the champion' : `model cache: cannot load the new champion; version ${serving} keeps serving`);
    this.events.emit('model:load-failed', { tenantId, modelName, error, servingVersion: serving, version });
  }
}

const keyOf = (tenantId: string, modelName: string) => `${tenantId}\u0000${modelName}`;

function compileOptions(o: ModelCacheOptions): Readonly<{ maxBytes: number; recheckMs: number; closeTimeoutMs: number }> {
  const check = (field: 'maxBytes' | 'recheckMs' | 'closeTimeoutMs', min: number, rule: string): number => {
    const v = o[field] ?? MODEL_CACHE_DEFAULTS[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new NsError('NS_VALIDATION', `${field}: ${String(v)} is not ${rule}`, { field });
    return v;
  };
  return Object.freeze({
    maxBytes: check('maxBytes', 1, 'a number of bytes ≥ 1'),
    recheckMs: check('recheckMs', 0, 'a duration in ms ≥ 0'),
    closeTimeoutMs: check('closeTimeoutMs', 0, 'a duration in ms ≥ 0'),
  });
}

/** A promise resolved after ms (cappedTimeout: no single timer longer than 30 s), cancellable. */
function boundedWait(ms: number): { promise: Promise<void>; cancel(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const timer = cappedTimeout(() => resolve(), ms);
  return {
    promise,
    cancel: () => {
      timer.clear();
      resolve();
    },
  };
}
