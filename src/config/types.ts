/**
 * The one frozen, validated settings object every part of nightshift receives.
 * Units are in the names; env and config files are read only in src/config/.
 */
import type { MonitorSettings } from '../monitor/alert-thresholds.ts';
import type { DatasetDefinition } from '../data/ingest/dataset-definition.ts';
import type { CommandSpec, PipelineStep } from '../runs/exec/types.ts';
import type { ModelDefinition } from '../training/model-definition.ts';
import type { ChannelDefinition } from '../monitor/notify/channel-spec.ts';
import type { ARTIFACT_STORAGES, LOG_FORMATS } from './defaults.ts';

export type CatchUpPolicy = 'latest' | 'skip' | 'all';
export type OverlapPolicy = 'skip' | 'queue_one';
export type TrainingMode = 'incremental' | 'full';
export type JobRole = 'training' | 'analysis';
export type ArtifactStorageKind = (typeof ARTIFACT_STORAGES)[number];
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RetryPolicy {
  /**
   * Retries after the first attempt, for transient failures only (0 = none): the job's own tries
   * are at most retries + 1. Seed 003's "retryAttempts: 3" with backoff 5/15/45 min is 3.
   */
  retries: number;
  /** Delay before retry k (k = 1..retries); the last entry repeats. Jitter is added on top. */
  backoffMs: readonly number[];
  /** Fraction of each delay added as random jitter (0..1). */
  jitterRatio: number;
}

interface JobBase {
  id: string;
  description: string;
  /** Implicit schedules from ML_TRAINING_SCHEDULE / ANALYSIS_SCHEDULE attach to jobs by role. */
  role: JobRole | null;
  /** Tenants this job runs for; null = all declared tenants. */
  tenants: readonly string[] | null;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Run when every one of these jobs has succeeded (for the same tenant). */
  after: readonly string[];
  env: Readonly<Record<string, string>>;
}

export interface CommandJob extends JobBase, Omit<CommandSpec, 'env'> {
  kind: 'command';
}

export interface PipelineJob extends JobBase {
  kind: 'pipeline';
  steps: readonly PipelineStep[];
}

/** Trains one declared model for the run's tenant (src/training); created from the config's `models:`. */
export interface TrainJob extends JobBase {
  kind: 'train';
  model: string;
}

/**
 * Does no work: claimed, recorded as succeeded, no process started. It anchors dependencies (jobs
 * with `after: [it]` run when it has run), like Airflow's EmptyOperator.
 */
export interface EmptyJob extends JobBase {
  kind: 'empty';
}

export type JobDefinition = CommandJob | PipelineJob | TrainJob | EmptyJob;

/** A model of the config file, declared for these tenants (null = all). */
export interface DeclaredModel {
  tenants: readonly string[] | null;
  /** The training job created for it. */
  jobId: string;
  definition: ModelDefinition;
}

/** Generated predictive-maintenance data that fills a declared dataset on first start (the demo). */
export interface DatasetGenerator {
  kind: 'predictive-maintenance';
  days: number;
  machines: number;
  seed: number;
  intervalMinutes: number;
}

/** A dataset of the config file, defined for each of its tenants at start. */
export interface DeclaredDataset {
  id: string;
  tenants: readonly string[] | null;
  schema: DatasetDefinition;
  generate: DatasetGenerator | null;
}

export interface TenantDefinition {
  id: string;
  name: string;
  timezone: string;
}

export interface ScheduleDefinition {
  id: string;
  tenantId: string;
  jobId: string;
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  enabled: boolean;
  jitterMs: number;
  misfireGraceMs: number;
  catchUp: CatchUpPolicy;
  catchUpMax: number;
  overlap: OverlapPolicy;
}

/** A route class with its own request budget per tenant (src/api/access.ts names each route's). */
export type RateClass = 'train' | 'ingest' | 'predict';

/**
 * Who may call the API (src/auth, README "Authentication"). `mode: off` only on a loopback address:
 * every request then acts as a local super admin, as before authentication existed.
 */
export interface AuthSettings {
  /** NIGHTSHIFT_AUTH: `on` (default) or `off`. */
  mode: 'on' | 'off';
  /** NIGHTSHIFT_JWT_SECRET: HS256 shared secret (at least 32 bytes). */
  jwtSecret: string | null;
  /** NIGHTSHIFT_JWKS: a JWKS file path or an https:// URL (RS256, ES256). */
  jwks: string | null;
  /** NIGHTSHIFT_JWT_ISSUER / NIGHTSHIFT_JWT_AUDIENCE: checked when set. */
  issuer: string | null;
  audience: string | null;
  /** Requests per tenant per window for each route class (NIGHTSHIFT_RATE_TRAIN, _INGEST, _PREDICT; NIGHTSHIFT_RATE_WINDOW). */
  rateLimits: { windowMs: number } & Record<RateClass, number>;
}

export interface Settings {
  /** Where the SQLite file and artifacts live (NIGHTSHIFT_DATA_DIR, default ./data). */
  dataDir: string;
  /** PostgreSQL when set (DATABASE_URL); SQLite in dataDir otherwise. */
  databaseUrl: string | null;
  /**
   * Where model artifacts live (NIGHTSHIFT_ARTIFACTS): `file` under dataDir, or `postgres` in the
   * PostgreSQL store (needs databaseUrl). Default: postgres with databaseUrl, file otherwise.
   */
  artifacts: ArtifactStorageKind;
  /** Path of the config file that was loaded, if any. */
  configPath: string | null;
  nodeId: string;
  logLevel: string;
  /**
   * How `nightshift serve` writes its log (NIGHTSHIFT_LOG_FORMAT): `json`, one JSON object per line
   * (the default, for collectors and pipes), or `pretty`, one readable line per event (pino-pretty).
   */
  logFormat: LogFormat;
  timezone: string;
  /** Runs executing at once in this process. */
  concurrency: number;
  /**
   * Threads this process's trainings share (NIGHTSHIFT_TRAIN_THREADS, default the CPU cores): a
   * training gets floor(trainThreads / trainings running here, itself included), at least 1, fixed
   * when it starts.
   */
  trainThreads: number;
  /** Scheduling priority of job processes (0 = same as nightshift, 19 = lowest): jobs yield the CPU to the API. */
  jobNiceness: number;
  /** Start job processes through launcher processes (src/runs/exec/launcher.ts); false spawns them from the engine's own process. */
  launcher: boolean;
  shutdownGraceMs: number;
  killGraceMs: number;
  leaseMs: number;
  heartbeatMs: number;
  /** How often a run may lose its worker (lease expired) and be requeued; the next loss fails it. Never spends the job's attempts. */
  maxRecoveries: number;
  pollMs: number;
  misfireGraceMs: number;
  /** Predictions logged for the live metric (NIGHTSHIFT_PREDICTION_LOG_SAMPLE, _ROWS, _DAYS). */
  predictionLog: { sampleRate: number; maxRowsPerModel: number; retentionDays: number };
  /** After a burst of ingests, how long before the models reading the data are assessed (NIGHTSHIFT_POLICY_DEBOUNCE). */
  policyDebounceMs: number;
  logTailBytes: number;
  historyRetentionDays: number;
  /** Per model: the newest versions kept (NIGHTSHIFT_KEEP_VERSIONS). */
  keepVersions: number;
  /** Per model: past champions kept besides the current one, the most recent first (NIGHTSHIFT_KEEP_CHAMPIONS). */
  keepChampions: number;
  /** Upper bound on the model cache's memory, MiB (NIGHTSHIFT_MODEL_CACHE_MB, default 256): least recently used champions are evicted past it. */
  modelCacheMb: number;
  /**
   * Samples the per-entity history cache holds for lag and rolling features at predict time
   * (NIGHTSHIFT_HISTORY_CACHE_SAMPLES, default 100,000; 0 turns it off and every predict reads the store).
   */
  historyCacheSamples: number;
  /** Samples dated further ahead of the service clock than this are refused at ingest (NIGHTSHIFT_INGEST_MAX_SKEW, default 1 h). */
  ingestMaxSkewMs: number;
  training: {
    schedule: string;
    enabled: boolean;
    mode: TrainingMode;
    /** Retries of jobs that set none (TRAINING_RETRY_ATTEMPTS: the seeds' name, counting retries). */
    retries: number;
    timeoutMs: number;
  };
  analysis: { schedule: string };
  /** Alerts: when passes run and the global thresholds (TRAINING_MONITOR_INTERVAL, ACCURACY_THRESHOLD, FAILURE_RATE_THRESHOLD, …; src/monitor/alert-thresholds.ts). */
  monitor: MonitorSettings;
  http: { host: string; port: number };
  auth: AuthSettings;
  tenants: readonly TenantDefinition[];
  jobs: readonly JobDefinition[];
  schedules: readonly ScheduleDefinition[];
  models: readonly DeclaredModel[];
  datasets: readonly DeclaredDataset[];
  notifications: NotificationSettings;
}

/** seed 003's notifyOnSuccess / notifyOnFailure; unset fields fall back to the wider level. */
export interface NotifyPreference {
  notifyOnSuccess?: boolean;
  notifyOnFailure?: boolean;
}

/** A channel of the config file, created for each of its tenants (null: every declared tenant). */
export interface DeclaredChannel {
  tenants: readonly string[] | null;
  channel: ChannelDefinition;
}

/** The config file's `notifications:` section. */
export interface NotificationSettings {
  channels: readonly DeclaredChannel[];
  /** Defaults for every run (true, true). */
  notifyOnSuccess: boolean;
  notifyOnFailure: boolean;
  /** Per model name, then per schedule id (the schedule's wins). */
  models: Readonly<Record<string, NotifyPreference>>;
  schedules: Readonly<Record<string, NotifyPreference>>;
  /** Delivery attempts before a notification is given up (default 12: about an hour of backoff). */
  maxAttempts: number;
  /** Failed rounds in a row before a channel is failing (notification:failing; default 5). */
  failingAfter: number;
}
