/**
 * Environment variables → a settings patch. This folder is the only place that reads env.
 * Unset or empty variables leave the default (or the config file's value) in place.
 */
import { DURATION_RANGES, HISTORY_RETENTION_DAYS, rangeText } from '../limits.ts';
import { assertTimeZone } from '../schedule/index.ts';
import { ARTIFACT_STORAGES, LIMITS, LOG_FORMATS, LOG_LEVELS, MAX_RETRIES } from './defaults.ts';
import type { Layer, Origins, ScalarPatch } from './scalars.ts';
import {
  invalidValue,
  rethrowAsConfig,
  toBoolean,
  toDurationMs,
  toEnum,
  toInteger,
  toNumber,
  toMisfireGraceMs,
  toText,
  validateCron,
  type At,
} from './values.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export const ENV = {
  dataDir: 'NIGHTSHIFT_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  artifacts: 'NIGHTSHIFT_ARTIFACTS',
  configPath: 'NIGHTSHIFT_CONFIG',
  nodeId: 'NIGHTSHIFT_NODE_ID',
  logLevel: 'NIGHTSHIFT_LOG_LEVEL',
  logFormat: 'NIGHTSHIFT_LOG_FORMAT',
  timezone: 'NIGHTSHIFT_TIMEZONE',
  concurrency: 'NIGHTSHIFT_CONCURRENCY',
  trainThreads: 'NIGHTSHIFT_TRAIN_THREADS',
  jobNiceness: 'NIGHTSHIFT_JOB_NICENESS',
  launcher: 'NIGHTSHIFT_LAUNCHER',
  shutdownGraceMs: 'NIGHTSHIFT_SHUTDOWN_GRACE',
  killGraceMs: 'NIGHTSHIFT_KILL_GRACE',
  leaseMs: 'NIGHTSHIFT_LEASE',
  heartbeatMs: 'NIGHTSHIFT_HEARTBEAT',
  maxRecoveries: 'NIGHTSHIFT_MAX_RECOVERIES',
  pollMs: 'NIGHTSHIFT_POLL',
  misfireGraceMs: 'NIGHTSHIFT_MISFIRE_GRACE',
  policyDebounceMs: 'NIGHTSHIFT_POLICY_DEBOUNCE',
  predictionLogSample: 'NIGHTSHIFT_PREDICTION_LOG_SAMPLE',
  predictionLogRows: 'NIGHTSHIFT_PREDICTION_LOG_ROWS',
  predictionLogDays: 'NIGHTSHIFT_PREDICTION_LOG_DAYS',
  historyRetentionDays: 'NIGHTSHIFT_HISTORY_RETENTION_DAYS',
  keepVersions: 'NIGHTSHIFT_KEEP_VERSIONS',
  keepChampions: 'NIGHTSHIFT_KEEP_CHAMPIONS',
  modelCacheMb: 'NIGHTSHIFT_MODEL_CACHE_MB',
  historyCacheSamples: 'NIGHTSHIFT_HISTORY_CACHE_SAMPLES',
  ingestMaxSkewMs: 'NIGHTSHIFT_INGEST_MAX_SKEW',
  host: 'NIGHTSHIFT_HOST',
  port: 'NIGHTSHIFT_PORT',
  trainingSchedule: 'ML_TRAINING_SCHEDULE',
  trainingEnabled: 'ML_TRAINING_ENABLED',
  trainingMode: 'ML_TRAINING_MODE',
  retries: 'TRAINING_RETRY_ATTEMPTS',
  timeoutHours: 'TRAINING_TIMEOUT_HOURS',
  analysisSchedule: 'ANALYSIS_SCHEDULE',
  monitorInterval: 'TRAINING_MONITOR_INTERVAL',
  accuracyThreshold: 'ACCURACY_THRESHOLD',
  failureRateThreshold: 'FAILURE_RATE_THRESHOLD',
  stuckJobAfter: 'NIGHTSHIFT_STUCK_JOB_AFTER',
  alertCooldown: 'NIGHTSHIFT_ALERT_COOLDOWN',
  staleModelDays: 'NIGHTSHIFT_STALE_MODEL_DAYS',
} as const;

/** Settings key, example, and its range in src/limits.ts. */
const DURATION_SETTINGS = [
  ['shutdownGraceMs', '30s', DURATION_RANGES.shutdownGrace],
  ['killGraceMs', '10s', DURATION_RANGES.killGrace],
  ['leaseMs', '30s', DURATION_RANGES.lease],
  ['heartbeatMs', '10s', DURATION_RANGES.heartbeat],
  ['pollMs', '1s', DURATION_RANGES.poll],
  ['policyDebounceMs', '5s', DURATION_RANGES.policyDebounce],
  ['ingestMaxSkewMs', '1h', DURATION_RANGES.ingestMaxSkew],
] as const;

const HOUR_MS = 3_600_000;

export interface EnvLayer extends Layer {
  /** NIGHTSHIFT_CONFIG as given (not yet resolved against cwd), or null. */
  configPath: string | null;
}

export function readEnv(env: Env): EnvLayer {
  const patch: ScalarPatch = {};
  const origins: Origins = new Map();
  /** The trimmed value of a set, non-empty variable, recording where `key` came from. */
  const get = (name: string, key: string): [string, At] | null => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return null;
    const at: At = { file: null, path: name };
    origins.set(key, { at, raw });
    return [raw, at];
  };

  let v: [string, At] | null;
  if ((v = get(ENV.dataDir, 'dataDir'))) patch.dataDir = v[0];
  if ((v = get(ENV.databaseUrl, 'databaseUrl'))) patch.databaseUrl = checkDatabaseUrl(...v);
  if ((v = get(ENV.artifacts, 'artifacts'))) patch.artifacts = toEnum(v[0], v[1], ARTIFACT_STORAGES, 'file');
  if ((v = get(ENV.nodeId, 'nodeId'))) {
    if (!/^[\w.:@-]{1,128}$/.test(v[0])) {
      throw invalidValue(v[1], v[0], 'must be 1-128 letters, digits, "_", ".", ":", "@" or "-"', 'worker-1');
    }
    patch.nodeId = v[0];
  }
  if ((v = get(ENV.logLevel, 'logLevel'))) {
    const lower = v[0].toLowerCase();
    patch.logLevel = toEnum(LOG_LEVELS.find((l) => l === lower) ?? v[0], v[1], LOG_LEVELS, 'info');
  }
  if ((v = get(ENV.logFormat, 'logFormat'))) {
    const lower = v[0].toLowerCase();
    patch.logFormat = toEnum(LOG_FORMATS.find((f) => f === lower) ?? v[0], v[1], LOG_FORMATS, 'pretty');
  }
  if ((v = get(ENV.timezone, 'timezone'))) patch.timezone = checkZone(...v);
  if ((v = get(ENV.concurrency, 'concurrency'))) patch.concurrency = toInteger(v[0], v[1], { min: 1, max: 1024 }, '4');
  if ((v = get(ENV.trainThreads, 'trainThreads'))) patch.trainThreads = toInteger(v[0], v[1], { min: 1, max: 256 }, '2');
  if ((v = get(ENV.predictionLogSample, 'predictionLog.sampleRate'))) (patch.predictionLog ??= {}).sampleRate = toNumber(v[0], v[1], 'must be a share from 0 (log nothing) to 1 (log every prediction)', '0.1', { min: 0, max: 1 });
  if ((v = get(ENV.predictionLogRows, 'predictionLog.maxRowsPerModel'))) (patch.predictionLog ??= {}).maxRowsPerModel = toInteger(v[0], v[1], { min: 1, max: 100_000_000 }, '100000');
  if ((v = get(ENV.predictionLogDays, 'predictionLog.retentionDays'))) (patch.predictionLog ??= {}).retentionDays = toInteger(v[0], v[1], { min: 1, max: 3660 }, '30');
  if ((v = get(ENV.jobNiceness, 'jobNiceness'))) patch.jobNiceness = toInteger(v[0], v[1], { min: 0, max: 19 }, '10');
  if ((v = get(ENV.launcher, 'launcher'))) patch.launcher = toBoolean(...v);
  if ((v = get(ENV.maxRecoveries, 'maxRecoveries'))) patch.maxRecoveries = toInteger(v[0], v[1], { min: 0, max: 1_000_000 }, '10');
  if ((v = get(ENV.historyRetentionDays, 'historyRetentionDays'))) patch.historyRetentionDays = toInteger(v[0], v[1], HISTORY_RETENTION_DAYS, '365');
  if ((v = get(ENV.keepVersions, 'keepVersions'))) patch.keepVersions = toInteger(v[0], v[1], { min: 1, max: 100_000 }, '10');
  if ((v = get(ENV.keepChampions, 'keepChampions'))) patch.keepChampions = toInteger(v[0], v[1], { min: 0, max: 100_000 }, '5');
  if ((v = get(ENV.modelCacheMb, 'modelCacheMb'))) patch.modelCacheMb = toInteger(v[0], v[1], LIMITS.modelCacheMb, '256');
  if ((v = get(ENV.historyCacheSamples, 'historyCacheSamples'))) patch.historyCacheSamples = toInteger(v[0], v[1], LIMITS.historyCacheSamples, '100000');
  for (const [key, example, range] of DURATION_SETTINGS) {
    if ((v = get(ENV[key], key))) patch[key] = toDurationMs(v[0], v[1], { example, range });
  }
  if ((v = get(ENV.misfireGraceMs, 'misfireGraceMs'))) patch.misfireGraceMs = toMisfireGraceMs(...v);

  const http: NonNullable<ScalarPatch['http']> = {};
  if ((v = get(ENV.host, 'http.host'))) http.host = toText(v[0], v[1], '0.0.0.0');
  if ((v = get(ENV.port, 'http.port'))) http.port = toInteger(v[0], v[1], { min: 0, max: 65_535 }, '8080');

  const training: NonNullable<ScalarPatch['training']> = {};
  if ((v = get(ENV.trainingSchedule, 'training.schedule'))) training.schedule = validateCron(...v);
  if ((v = get(ENV.trainingEnabled, 'training.enabled'))) training.enabled = toBoolean(...v);
  if ((v = get(ENV.trainingMode, 'training.mode'))) training.mode = toEnum(v[0], v[1], ['incremental', 'full'] as const);
  // The seeds' name; it counts retries after the first attempt, as seed 003's retryAttempts does.
  if ((v = get(ENV.retries, 'training.retries'))) training.retries = toInteger(v[0], v[1], { min: 0, max: MAX_RETRIES }, '3');
  if ((v = get(ENV.timeoutHours, 'training.timeoutMs'))) {
    const hours = toNumber(v[0], v[1], 'must be a positive number of hours', '2');
    const { minMs, maxMs } = DURATION_RANGES.timeout;
    if (hours * HOUR_MS < minMs || hours * HOUR_MS > maxMs) {
      throw invalidValue(v[1], v[0], `must be a number of hours up to ${maxMs / HOUR_MS} (timeouts range ${rangeText(DURATION_RANGES.timeout)})`, '2');
    }
    training.timeoutMs = Math.round(hours * HOUR_MS);
  }

  const analysis: NonNullable<ScalarPatch['analysis']> = {};
  if ((v = get(ENV.analysisSchedule, 'analysis.schedule'))) analysis.schedule = validateCron(...v);

  const monitor: NonNullable<ScalarPatch['monitor']> = {};
  // Minutes, as seed 003 sets it (TRAINING_MONITOR_INTERVAL=15).
  if ((v = get(ENV.monitorInterval, 'monitor.intervalMs'))) {
    const minutes = toNumber(v[0], v[1], 'must be a number of minutes from 0.0167 (1 s) to 1440 (1 day)', '15', { min: 1 / 60, max: 1440 });
    monitor.intervalMs = Math.round(minutes * 60_000);
  }
  if ((v = get(ENV.accuracyThreshold, 'monitor.accuracyThreshold'))) monitor.accuracyThreshold = toNumber(v[0], v[1], 'must be a number from 0 to 1', '0.75', { min: 0, max: 1 });
  if ((v = get(ENV.failureRateThreshold, 'monitor.failureRateThreshold'))) monitor.failureRateThreshold = toNumber(v[0], v[1], 'must be a share from 0 to 1', '0.3', { min: 0, max: 1 });
  if ((v = get(ENV.stuckJobAfter, 'monitor.stuckAfterMs'))) monitor.stuckAfterMs = toDurationMs(v[0], v[1], { example: '2h', range: DURATION_RANGES.stuckAfter });
  if ((v = get(ENV.alertCooldown, 'monitor.cooldownMs'))) monitor.cooldownMs = toDurationMs(v[0], v[1], { example: '30m', range: DURATION_RANGES.alertCooldown });
  if ((v = get(ENV.staleModelDays, 'monitor.staleDays'))) monitor.staleDays = toNumber(v[0], v[1], 'must be a number of days from 0.001 to 3660', '30', { min: 0.001, max: 3660 });

  Object.assign(patch, { http, training, analysis, monitor });
  const configPath = env[ENV.configPath]?.trim() || null;
  return { patch, origins, configPath };
}

/** The zone's canonical IANA spelling ("america/new_york" → "America/New_York"), or a config error naming `at`. */
export function checkZone(zone: string, at: At): string {
  try {
    return assertTimeZone(zone, at.path);
  } catch (error) {
    rethrowAsConfig(error, at);
  }
}

/** postgres:// or postgresql:// only; a password never appears in a message. */
export function checkDatabaseUrl(url: string, at: At): string {
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) {
    const redacted = url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
    throw invalidValue(at, redacted, 'must be a postgres:// or postgresql:// URL', 'postgres://nightshift:secret@db:5432/nightshift');
  }
  return url;
}
