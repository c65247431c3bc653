/**
 * Every default in one place. Durations are milliseconds and say so in their names; the config
 * file and env variables accept duration strings ("30s", "2h") that compile to these units.
 */
import os from 'node:os';
import { MONITOR_DEFAULTS } from '../monitor/alert-thresholds.ts';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULTS = {
  dataDir: './data',
  databaseUrl: null,
  logLevel: 'info',
  /** JSON lines for log collectors; `pretty` (pino-pretty) for reading in a terminal. */
  logFormat: 'json',
  timezone: 'UTC',
  concurrency: os.availableParallelism(),
  /** Threads trainings of this process share: one training alone uses them all. */
  trainThreads: os.availableParallelism(),
  shutdownGraceMs: 30 * SECOND,
  killGraceMs: 10 * SECOND,
  leaseMs: 30 * SECOND,
  heartbeatMs: 10 * SECOND,
  /** Lost workers a run survives (requeued each time) before it fails; they never spend its attempts. */
  maxRecoveries: 10,
  pollMs: 1 * SECOND,
  misfireGraceMs: 1 * HOUR,
  logTailBytes: 65_536,
  jobNiceness: 10,
  launcher: true,
  /** Finished runs, attempts and slots older than this are deleted (the queue never is). */
  historyRetentionDays: 365,
  /** Predictions logged for the live metric: sampled share, rows kept per model, days kept. */
  predictionLog: { sampleRate: 1, maxRowsPerModel: 100_000, retentionDays: 30 },
  /** After the last of a burst of ingests, how long before the models reading the data are assessed. */
  policyDebounceMs: 5 * SECOND,
  /** Per model: the newest versions the registry keeps… */
  keepVersions: 10,
  /** …besides the current champion and this many champions before it (so a model's versions stay bounded). */
  keepChampions: 5,
  /** Memory the model cache may hold (sum of the cached champions' artifact sizes), MiB. */
  modelCacheMb: 256,
  /** Recent samples kept in memory for lag and rolling features at predict time (0: none, every predict reads the store). */
  historyCacheSamples: 100_000,
  /** How far ahead of this service's clock an ingested sample's timestamp may be. */
  ingestMaxSkewMs: 1 * HOUR,
  training: {
    schedule: '0 2 * * *',
    enabled: true,
    mode: 'incremental',
    /** Retries after the first attempt: seed 003's three, with the backoff below (5, 15, 45 min). */
    retries: 3,
    timeoutMs: 2 * HOUR,
  },
  analysis: { schedule: '0 3 * * *' },
  monitor: MONITOR_DEFAULTS,
  http: { host: '127.0.0.1', port: 8080 },
  retry: { backoffMs: [5 * MINUTE, 15 * MINUTE, 45 * MINUTE], jitterRatio: 0.1 },
  schedule: { jitterMs: 0, catchUp: 'latest', catchUpMax: 10, overlap: 'skip', enabled: true },
  /** The tenant that exists when the config declares none. */
  tenant: { id: 'default', name: 'Default' },
} as const;

/** Stated ranges of the settings above that have one (env and config file check the same). */
export const LIMITS = {
  modelCacheMb: { min: 1, max: 1_048_576 },
  historyCacheSamples: { min: 0, max: 100_000_000 },
} as const;

/** `hostname:pid`, unique per process on a host; computed when settings load, not at import. */
export const defaultNodeId = (): string => `${os.hostname()}:${process.pid}`;

export const ARTIFACT_STORAGES = ['file', 'postgres'] as const;

/** The most retries a job may ask for (retry.retries, training.retries, TRAINING_RETRY_ATTEMPTS). */
export const MAX_RETRIES = 100;

/**
 * Where model artifacts live unless NIGHTSHIFT_ARTIFACTS says otherwise: in the database a
 * distributed store shares (any node serves any version), or as files beside SQLite.
 */
export const defaultArtifacts = (databaseUrl: string | null): (typeof ARTIFACT_STORAGES)[number] => (databaseUrl ? 'postgres' : 'file');

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const LOG_FORMATS = ['json', 'pretty'] as const;
