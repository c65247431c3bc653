/**
 * What /health and /metrics read: whether the store answers (and, for SQLite, whether it runs in
 * WAL mode), the state of this process's scheduler and workers, per job its last status, failures
 * in a row and next run, and per declared model whether it can serve. Monitoring calls this
 * service, never the store.
 *
 * A report costs the same few statements however many jobs, runs and models exist: one ping, one
 * for every job's figures, one for every declared model's champion. Whether a champion is in
 * memory is asked of the model cache, which never touches the store for it.
 */
import type { Logger } from 'pino';
import { isNsError } from '../errors.ts';
import type { Db, DialectName } from '../store/db.ts';
import { jobHealth, pingStore, queueDepth, type JobHealthRow } from '../store/job-health.ts';
import { activeAlertRows } from '../store/alerts.ts';
import { listDeclaredAliases } from '../store/model-aliases.ts';
import { lastTrainings } from '../store/training-stats.ts';
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

/** What the model cache knows of a model, without asking the store (ModelCache has both). */
export interface ServingProbe {
  loadedVersion(tenantId: string, modelName: string): number | null;
  lastError(tenantId: string, modelName: string): unknown;
}

/**
 * A declared model is ready when it has a champion that is in memory, or that can be loaded: one
 * this process has not failed to load. A model without a champion is not ready: its predictions
 * answer 404 until a version passes the gate.
 */
export interface ModelReadiness {
  tenantId: string;
  model: string;
  championVersion: number | null;
  /** The version in this process's model cache (it may lag the champion by one recheck). */
  loadedVersion: number | null;
  ready: boolean;
  /** Why it is not ready; null when it is. */
  reason: string | null;
  /** Its latest ended training: when, and how it ended (status, and outcome when it succeeded). */
  lastTraining: { at: number; status: string; outcome: string | null } | null;
  /** Types of its alerts not yet resolved. */
  openAlerts: string[];
}

export interface StoreHealth {
  dialect: DialectName;
  reachable: boolean;
  error?: string;
  /** SQLite: whether it runs in WAL mode; absent for PostgreSQL. */
  wal?: boolean;
  note?: string;
}

/** The summary, and per job and per model: the full report of GET /health. */
export interface HealthReport extends HealthSummary {
  jobs: JobHealthRow[];
  models: ModelReadiness[];
  modelCache: ModelCacheReading | null;
  historyCache: HistoryCacheReading | null;
}

/** What the dashboard's overview shows of the service: one ping and this process's loops, never a per-job or per-model read. */
export interface HealthSummary {
  store: StoreHealth;
  scheduler: string;
  workers: string;
  running: number;
  concurrency: number;
  node: string;
}

export interface QueueDepthRow {
  tenant_id: string;
  job_id: string;
  status: string;
  n: number;
}

/** What a SQLite store that refused WAL mode means for its users; null when nothing is amiss. */
export function walNote(db: Pick<Db, 'wal' | 'location'>): string | null {
  if (db.wal !== false) return null;
  return `SQLite refused WAL mode for ${db.location} (a filesystem without shared memory maps, such as some network or FUSE mounts): readers wait for writers and every commit pays its own fsync; put NIGHTSHIFT_DATA_DIR on a local disk`;
}

/** Logs walNote at warn, once, when the store is opened (the engine calls it). */
export function warnWithoutWal(db: Pick<Db, 'wal' | 'location'>, logger: Pick<Logger, 'warn'>): void {
  const note = walNote(db);
  if (note) logger.warn({ store: 'sqlite', location: db.location, wal: false }, note);
}

export class HealthService {
  readonly #db: Db;
  readonly #probes: LoopProbes;
  readonly #serving: ServingProbe;
  readonly #node: { nodeId: string; concurrency: number };

  constructor(deps: { db: Db; probes: LoopProbes; serving: ServingProbe; nodeId: string; concurrency: number }) {
    this.#db = deps.db;
    this.#probes = deps.probes;
    this.#serving = deps.serving;
    this.#node = { nodeId: deps.nodeId, concurrency: deps.concurrency };
  }

  get running(): number {
    return this.#probes.running();
  }

  /** This node's id (NIGHTSHIFT_NODE_ID). */
  get node(): string {
    return this.#node.nodeId;
  }

  async report(): Promise<HealthReport> {
    let reachable = true;
    let error: string | undefined;
    let jobs: JobHealthRow[] = [];
    let models: ModelReadiness[] = [];
    try {
      await pingStore(this.#db.k);
      [jobs, models] = await Promise.all([jobHealth(this.#db.k, ALL_TENANTS), this.#models()]);
    } catch (e) {
      reachable = false;
      error = (e as Error).message;
    }
    const note = walNote(this.#db);
    const store: StoreHealth = {
      dialect: this.#db.dialect,
      reachable,
      ...(error ? { error } : {}),
      ...(this.#db.wal === null ? {} : { wal: this.#db.wal }),
      ...(note ? { note } : {}),
    };
    return {
      store,
      scheduler: this.#probes.schedulerState(),
      workers: this.#probes.workersState(),
      running: this.#probes.running(),
      concurrency: this.#node.concurrency,
      node: this.#node.nodeId,
      jobs,
      models,
      modelCache: this.#probes.modelCache ? pickCache(this.#probes.modelCache()) : null,
      historyCache: this.#probes.historyCache ? { ...this.#probes.historyCache() } : null,
    };
  }

  /**
   * One statement (the ping) whatever the store holds: the full report reads every job's and every
   * declared model's figures, which a page polled by every viewer should not pay for.
   */
  async summary(): Promise<HealthSummary> {
    let reachable = true;
    let error: string | undefined;
    try {
      await pingStore(this.#db.k);
    } catch (e) {
      reachable = false;
      error = (e as Error).message;
    }
    return {
      store: { dialect: this.#db.dialect, reachable, ...(error ? { error } : {}), ...(this.#db.wal === null ? {} : { wal: this.#db.wal }) },
      scheduler: this.#probes.schedulerState(),
      workers: this.#probes.workersState(),
      running: this.#probes.running(),
      concurrency: this.#node.concurrency,
      node: this.#node.nodeId,
    };
  }

  /** Three statements however many models: champions, latest trainings, active alerts. */
  async #models(): Promise<ModelReadiness[]> {
    const [rows, trainings, alerts] = await Promise.all([
      listDeclaredAliases(this.#db.k, ALL_TENANTS, 'champion'),
      lastTrainings(this.#db.k, ALL_TENANTS),
      activeAlertRows(this.#db.k, ALL_TENANTS),
    ]);
    const key = (t: string, m: string) => `${t}\u0000${m}`;
    const last = new Map(trainings.map((t) => [key(t.tenantId, t.model), t]));
    const open = new Map<string, string[]>();
    for (const a of alerts) open.set(key(a.tenant_id, a.model_name), [...(open.get(key(a.tenant_id, a.model_name)) ?? []), a.type].sort());
    return rows.map((r) => {
      const t = last.get(key(r.tenant_id, r.model_name));
      const lastTraining = t && t.finishedAt !== null && t.status !== null ? { at: t.finishedAt, status: t.status, outcome: t.outcome } : null;
      return this.#readiness(r.tenant_id, r.model_name, r.version, lastTraining, open.get(key(r.tenant_id, r.model_name)) ?? []);
    });
  }

  #readiness(tenantId: string, model: string, championVersion: number | null, lastTraining: ModelReadiness['lastTraining'], openAlerts: string[]): ModelReadiness {
    const loadedVersion = this.#serving.loadedVersion(tenantId, model);
    const base = { tenantId, model, championVersion, loadedVersion, lastTraining, openAlerts };
    if (championVersion === null) return { ...base, ready: false, reason: 'no champion yet: no version has passed the gate' };
    if (loadedVersion !== null) return { ...base, ready: true, reason: null };
    const failed = loadFailure(this.#serving.lastError(tenantId, model), championVersion);
    return failed ? { ...base, ready: false, reason: `champion v${championVersion} cannot be loaded: ${failed}` } : { ...base, ready: true, reason: null };
  }

  /** Queued and running runs in the shared store, by tenant, job and status (every node sees the same). */
  queueDepth(): Promise<QueueDepthRow[]> {
    return queueDepth(this.#db.k, ALL_TENANTS);
  }
}

/**
 * The message of a failure to load this champion, or null when the remembered error does not
 * concern it: "no champion" remembered from before it was promoted, or a failure of another version.
 */
function loadFailure(error: unknown, championVersion: number): string | null {
  if (error === null || error === undefined) return null;
  if (isNsError(error) && error.code === 'NS_NOT_FOUND') return null;
  const version = isNsError(error) ? (error.details as { version?: unknown } | undefined)?.version : undefined;
  if (typeof version === 'number' && version !== championVersion) return null;
  return error instanceof Error ? error.message : String(error);
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
