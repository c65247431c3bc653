/**
 * Environment variables → a settings patch. This folder is the only place that reads env.
 * Unset or empty variables leave the default (or the config file's value) in place.
 */
import { assertTimeZone } from '../schedule/index.ts';
import { ARTIFACT_STORAGES, LIMITS, LOG_LEVELS } from './defaults.ts';
import type { Layer, Origins, ScalarPatch } from './scalars.ts';
import {
  invalidValue,
  rethrowAsConfig,
  toBoolean,
  toDurationMs,
  toEnum,
  toInteger,
  toNumber,
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
  modelCacheMb: 'NIGHTSHIFT_MODEL_CACHE_MB',
  historyCacheSamples: 'NIGHTSHIFT_HISTORY_CACHE_SAMPLES',
  ingestMaxSkewMs: 'NIGHTSHIFT_INGEST_MAX_SKEW',
  host: 'NIGHTSHIFT_HOST',
  port: 'NIGHTSHIFT_PORT',
  trainingSchedule: 'ML_TRAINING_SCHEDULE',
  trainingEnabled: 'ML_TRAINING_ENABLED',
  trainingMode: 'ML_TRAINING_MODE',
  retryAttempts: 'TRAINING_RETRY_ATTEMPTS',
  timeoutHours: 'TRAINING_TIMEOUT_HOURS',
  analysisSchedule: 'ANALYSIS_SCHEDULE',
} as const;

const DURATIONS = [
  ['shutdownGraceMs', '30s'],
  ['killGraceMs', '10s'],
  ['leaseMs', '30s'],
  ['heartbeatMs', '10s'],
  ['pollMs', '1s'],
  ['misfireGraceMs', '1h'],
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
  if ((v = get(ENV.timezone, 'timezone'))) patch.timezone = checkZone(...v);
  if ((v = get(ENV.concurrency, 'concurrency'))) patch.concurrency = toInteger(v[0], v[1], { min: 1, max: 1024 }, '4');
  if ((v = get(ENV.trainThreads, 'trainThreads'))) patch.trainThreads = toInteger(v[0], v[1], { min: 1, max: 256 }, '2');
  if ((v = get(ENV.jobNiceness, 'jobNiceness'))) patch.jobNiceness = toInteger(v[0], v[1], { min: 0, max: 19 }, '10');
  if ((v = get(ENV.launcher, 'launcher'))) patch.launcher = toBoolean(...v);
  if ((v = get(ENV.maxRecoveries, 'maxRecoveries'))) patch.maxRecoveries = toInteger(v[0], v[1], { min: 0, max: 1_000_000 }, '10');
  if ((v = get(ENV.modelCacheMb, 'modelCacheMb'))) patch.modelCacheMb = toInteger(v[0], v[1], LIMITS.modelCacheMb, '256');
  if ((v = get(ENV.historyCacheSamples, 'historyCacheSamples'))) patch.historyCacheSamples = toInteger(v[0], v[1], LIMITS.historyCacheSamples, '100000');
  if ((v = get(ENV.ingestMaxSkewMs, 'ingestMaxSkewMs'))) patch.ingestMaxSkewMs = toDurationMs(v[0], v[1], { allowZero: true, maxMs: LIMITS.ingestMaxSkewMs.max, example: '1h' });
  for (const [key, example] of DURATIONS) {
    if ((v = get(ENV[key], key))) patch[key] = toDurationMs(v[0], v[1], { example });
  }

  const http: NonNullable<ScalarPatch['http']> = {};
  if ((v = get(ENV.host, 'http.host'))) http.host = toText(v[0], v[1], '0.0.0.0');
  if ((v = get(ENV.port, 'http.port'))) http.port = toInteger(v[0], v[1], { min: 0, max: 65_535 }, '8080');

  const training: NonNullable<ScalarPatch['training']> = {};
  if ((v = get(ENV.trainingSchedule, 'training.schedule'))) training.schedule = validateCron(...v);
  if ((v = get(ENV.trainingEnabled, 'training.enabled'))) training.enabled = toBoolean(...v);
  if ((v = get(ENV.trainingMode, 'training.mode'))) training.mode = toEnum(v[0], v[1], ['incremental', 'full'] as const);
  if ((v = get(ENV.retryAttempts, 'training.retryAttempts'))) training.retryAttempts = toInteger(v[0], v[1], { min: 1 }, '3');
  if ((v = get(ENV.timeoutHours, 'training.timeoutMs'))) {
    training.timeoutMs = Math.round(toNumber(v[0], v[1], 'must be a positive number of hours', '2') * HOUR_MS);
  }

  const analysis: NonNullable<ScalarPatch['analysis']> = {};
  if ((v = get(ENV.analysisSchedule, 'analysis.schedule'))) analysis.schedule = validateCron(...v);

  Object.assign(patch, { http, training, analysis });
  const configPath = env[ENV.configPath]?.trim() || null;
  return { patch, origins, configPath };
}

export function checkZone(zone: string, at: At): string {
  try {
    assertTimeZone(zone, at.path);
  } catch (error) {
    rethrowAsConfig(error, at);
  }
  return zone;
}

/** postgres:// or postgresql:// only; a password never appears in a message. */
export function checkDatabaseUrl(url: string, at: At): string {
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) {
    const redacted = url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
    throw invalidValue(at, redacted, 'must be a postgres:// or postgresql:// URL', 'postgres://nightshift:secret@db:5432/nightshift');
  }
  return url;
}
