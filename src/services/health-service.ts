/**
 * What /health and /metrics read: whether the store answers, the state of this process's scheduler
 * and workers, and per job its last status, failures in a row and next run. Monitoring calls this
 * service, never the store.
 */
import type { Db, DialectName } from '../store/db.ts';
import { listJobs } from '../store/jobs.ts';
import { jobHealth, pingStore, queueDepth, type JobHealthRow } from '../store/job-health.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';

/** The model cache as /health shows it (serving's ModelCacheStats): read from memory, never the store. */
export interface ModelCacheReading {
  maxBytes: number;
  bytes: number;
  entries: number;
  loads: number;
  evictions: number;
  loadErrors: number;
  hits: number;
  misses: number;
}

/** The history cache as /health shows it (serving's HistoryCacheStats). */
export interface HistoryCacheReading {
  maxSamples: number;
  samples: number;
  entities: number;
  hits: number;
  misses: number;
  storeReads: number;
  invalidations: number;
}

/** Live readings of this process's loops and caches, taken when asked. */
export interface LoopProbes {
  schedulerState(): string;
  workersState(): string;
  running(): number;
  modelCache?(): ModelCacheReading;
  historyCache?(): HistoryCacheReading;
}

export interface HealthReport {
  store: { dialect: DialectName; reachable: boolean; error?: string };
  scheduler: string;
  workers: string;
  running: number;
  concurrency: number;
  node: string;
  jobs: JobHealthRow[];
  modelCache: ModelCacheReading | null;
  historyCache: HistoryCacheReading | null;
}

export interface QueueDepthRow {
  tenant_id: string;
  job_id: string;
  status: string;
  n: number;
}

export class HealthService {
  readonly #db: Db;
  readonly #probes: LoopProbes;
  readonly #node: { nodeId: string; concurrency: number };

  constructor(deps: { db: Db; probes: LoopProbes; nodeId: string; concurrency: number }) {
    this.#db = deps.db;
    this.#probes = deps.probes;
    this.#node = { nodeId: deps.nodeId, concurrency: deps.concurrency };
  }

  get running(): number {
    return this.#probes.running();
  }

  async report(): Promise<HealthReport> {
    let reachable = true;
    let error: string | undefined;
    try {
      await pingStore(this.#db.k);
    } catch (e) {
      reachable = false;
      error = (e as Error).message;
    }
    const jobs = reachable ? await jobHealth(this.#db.k, ALL_TENANTS, (await listJobs(this.#db.k)).map((j) => j.id)) : [];
    return {
      store: { dialect: this.#db.dialect, reachable, ...(error ? { error } : {}) },
      scheduler: this.#probes.schedulerState(),
      workers: this.#probes.workersState(),
      running: this.#probes.running(),
      concurrency: this.#node.concurrency,
      node: this.#node.nodeId,
      jobs,
      modelCache: this.#probes.modelCache ? pickCache(this.#probes.modelCache()) : null,
      historyCache: this.#probes.historyCache ? { ...this.#probes.historyCache() } : null,
    };
  }

  /** Queued and running runs in the shared store, by tenant, job and status (every node sees the same). */
  queueDepth(): Promise<QueueDepthRow[]> {
    return queueDepth(this.#db.k, ALL_TENANTS);
  }
}

const pickCache = (c: ModelCacheReading): ModelCacheReading => ({
  maxBytes: c.maxBytes,
  bytes: c.bytes,
  entries: c.entries,
  loads: c.loads,
  evictions: c.evictions,
  loadErrors: c.loadErrors,
  hits: c.hits,
  misses: c.misses,
});
