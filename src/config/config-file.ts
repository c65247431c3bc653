/**
 * The optional config file (JSON or YAML, chosen by extension): read, parsed with line numbers
 * on syntax errors, and validated strictly — an unknown key is an error naming its path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { NsError } from '../errors.ts';
import { DURATION_RANGES, HISTORY_RETENTION_DAYS, type DurationRange } from '../limits.ts';
import { checkDatabaseUrl, checkZone } from './env.ts';
import { ARTIFACT_STORAGES, LIMITS, LOG_FORMATS, LOG_LEVELS, MAX_RETRIES } from './defaults.ts';
import { parseDatasets, parseModels, type DatasetInput, type ModelInput } from './model-entries.ts';
import { parseBackoff, parseJobs, parseRetry, parseSchedules, parseTenants, retiredAttempts, type JobInput, type ScheduleInput, type TenantInput } from './file-entries.ts';
import type { Layer, Origins, ScalarPatch } from './scalars.ts';
import { parseNotifications } from './notification-entries.ts';
import type { NotificationSettings } from './types.ts';
import {
  checkKeys,
  child,
  invalidField,
  invalidValue,
  isPlainObject,
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

export interface FileConfig extends Layer {
  /** The file as named in messages (as given by the user). */
  file: string;
  /** Absolute path. */
  path: string;
  /** File-wide retry defaults for jobs that set none. */
  retry: { backoffMs?: number[]; jitterRatio?: number };
  tenants: TenantInput[];
  jobs: JobInput[];
  schedules: ScheduleInput[];
  models: ModelInput[];
  datasets: DatasetInput[];
  notifications: NotificationSettings;
}

export const CONFIG_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

type Parse = (raw: unknown, at: At) => unknown;
const text = (example: string): Parse => (raw, at) => toText(raw, at, example);
const duration = (example: string, range: DurationRange): Parse => (raw, at) => toDurationMs(raw, at, { example, range });
const cron = (example: string): Parse => (raw, at) => validateCron(toText(raw, at, example), at);

/** Scalars the file may set: file key (dotted inside a section) → settings key, and its parser. */
const SCALARS: ReadonlyArray<readonly [string, string, Parse]> = [
  ['dataDir', 'dataDir', text('./data')],
  ['databaseUrl', 'databaseUrl', (raw, at) => checkDatabaseUrl(toText(raw, at, 'postgres://db/nightshift'), at)],
  ['artifacts', 'artifacts', (raw, at) => toEnum(raw, at, ARTIFACT_STORAGES, 'file')],
  ['nodeId', 'nodeId', text('worker-1')],
  ['logLevel', 'logLevel', (raw, at) => toEnum(raw, at, LOG_LEVELS, 'info')],
  ['logFormat', 'logFormat', (raw, at) => toEnum(raw, at, LOG_FORMATS, 'pretty')],
  ['timezone', 'timezone', (raw, at) => checkZone(toText(raw, at, 'Europe/London'), at)],
  ['concurrency', 'concurrency', (raw, at) => toInteger(raw, at, { min: 1, max: 1024 }, '4')],
  ['trainThreads', 'trainThreads', (raw, at) => toInteger(raw, at, { min: 1, max: 256 }, '2')],
  ['shutdownGrace', 'shutdownGraceMs', duration('30s', DURATION_RANGES.shutdownGrace)],
  ['killGrace', 'killGraceMs', duration('10s', DURATION_RANGES.killGrace)],
  ['lease', 'leaseMs', duration('30s', DURATION_RANGES.lease)],
  ['heartbeat', 'heartbeatMs', duration('10s', DURATION_RANGES.heartbeat)],
  ['maxRecoveries', 'maxRecoveries', (raw, at) => toInteger(raw, at, { min: 0, max: 1_000_000 }, '10')],
  ['poll', 'pollMs', duration('1s', DURATION_RANGES.poll)],
  ['misfireGrace', 'misfireGraceMs', toMisfireGraceMs],
  ['policyDebounce', 'policyDebounceMs', duration('5s', DURATION_RANGES.policyDebounce)],
  ['predictionLog.sampleRate', 'predictionLog.sampleRate', (raw, at) => toNumber(raw, at, 'must be a share from 0 to 1', '0.1', { min: 0, max: 1 })],
  ['predictionLog.maxRowsPerModel', 'predictionLog.maxRowsPerModel', (raw, at) => toInteger(raw, at, { min: 1, max: 100_000_000 }, '100000')],
  ['predictionLog.retentionDays', 'predictionLog.retentionDays', (raw, at) => toInteger(raw, at, { min: 1, max: 3660 }, '30')],
  ['logTailBytes', 'logTailBytes', (raw, at) => toInteger(raw, at, { min: 1 }, '65536')],
  ['jobNiceness', 'jobNiceness', (raw, at) => toInteger(raw, at, { min: 0, max: 19 }, '10')],
  ['launcher', 'launcher', (raw, at) => toBoolean(raw, at)],
  ['historyRetentionDays', 'historyRetentionDays', (raw, at) => toInteger(raw, at, HISTORY_RETENTION_DAYS, '365')],
  ['keepVersions', 'keepVersions', (raw, at) => toInteger(raw, at, { min: 1, max: 100_000 }, '10')],
  ['keepChampions', 'keepChampions', (raw, at) => toInteger(raw, at, { min: 0, max: 100_000 }, '5')],
  ['modelCacheMb', 'modelCacheMb', (raw, at) => toInteger(raw, at, LIMITS.modelCacheMb, '256')],
  ['historyCacheSamples', 'historyCacheSamples', (raw, at) => toInteger(raw, at, LIMITS.historyCacheSamples, '100000')],
  ['ingestMaxSkew', 'ingestMaxSkewMs', duration('1h', DURATION_RANGES.ingestMaxSkew)],
  ['http.host', 'http.host', text('0.0.0.0')],
  ['http.port', 'http.port', (raw, at) => toInteger(raw, at, { min: 0, max: 65_535 }, '8080')],
  ['training.schedule', 'training.schedule', cron('0 2 * * *')],
  ['training.enabled', 'training.enabled', (raw, at) => toBoolean(raw, at)],
  ['training.mode', 'training.mode', (raw, at) => toEnum(raw, at, ['incremental', 'full'] as const)],
  ['training.retries', 'training.retries', (raw, at) => toInteger(raw, at, { min: 0, max: MAX_RETRIES }, '3')],
  ['training.timeout', 'training.timeoutMs', duration('2h', DURATION_RANGES.timeout)],
  ['analysis.schedule', 'analysis.schedule', cron('0 3 * * *')],
  ['monitor.interval', 'monitor.intervalMs', duration('15m', DURATION_RANGES.monitorInterval)],
  ['monitor.accuracyThreshold', 'monitor.accuracyThreshold', (raw, at) => toNumber(raw, at, 'must be a number from 0 to 1', '0.75', { min: 0, max: 1 })],
  ['monitor.failureRateThreshold', 'monitor.failureRateThreshold', (raw, at) => toNumber(raw, at, 'must be a share from 0 to 1', '0.3', { min: 0, max: 1 })],
  ['monitor.failureWindow', 'monitor.failureWindowMs', duration('24h', DURATION_RANGES.failureWindow)],
  ['monitor.failureMinRuns', 'monitor.failureMinRuns', (raw, at) => toInteger(raw, at, { min: 1, max: 10_000 }, '3')],
  ['monitor.repeatedFailures', 'monitor.repeatedFailures', (raw, at) => toInteger(raw, at, { min: 1, max: 1000 }, '3')],
  ['monitor.stuckAfter', 'monitor.stuckAfterMs', duration('2h', DURATION_RANGES.stuckAfter)],
  ['monitor.leaseLostLimit', 'monitor.leaseLostLimit', (raw, at) => toInteger(raw, at, { min: 1, max: 1000 }, '2')],
  ['monitor.staleDays', 'monitor.staleDays', (raw, at) => toNumber(raw, at, 'must be a number of days from 0.001 to 3660', '30', { min: 0.001, max: 3660 })],
  ['monitor.cooldown', 'monitor.cooldownMs', duration('30m', DURATION_RANGES.alertCooldown)],
  ['monitor.trendPoints', 'monitor.trendPoints', (raw, at) => toInteger(raw, at, { min: 2, max: 1000 }, '10')],
  ['monitor.trendTolerance', 'monitor.trendTolerance', (raw, at) => toNumber(raw, at, 'must be a number from 0', '0.02', { min: 0, max: 1e12 })],
];
const SECTIONS = ['http', 'training', 'analysis', 'monitor'] as const;
const LISTS = ['retry', 'tenants', 'jobs', 'schedules', 'models', 'datasets', 'notifications'] as const;
const TOP_KEYS = [...SCALARS.map(([k]) => k).filter((k) => !k.includes('.')), ...SECTIONS, ...LISTS];

/** Read and validate `given` (relative to cwd). `envName` names the variable it came from, if any. */
export function loadConfigFile(given: string, cwd: string, envName?: string): FileConfig {
  const absolute = path.resolve(cwd, given);
  const named: At = { file: null, path: envName ?? 'configPath' };
  const ext = path.extname(absolute).toLowerCase();
  if (!(CONFIG_EXTENSIONS as readonly string[]).includes(ext)) {
    throw invalidValue(named, given, 'must end in .json, .yaml or .yml', './nightshift.yaml');
  }
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `cannot be read (${(error as Error).message})`;
    throw invalidValue(named, given, reason, './nightshift.yaml');
  }
  const data = ext === '.json' ? parseJson(text, given) : parseYaml(text, given);
  return { ...parseConfig(data, given), path: absolute };
}

function syntaxError(file: string, line: number | null, column: number | null, reason: string, cause: unknown): NsError {
  const where = line === null ? file : `${file}:${line}${column === null ? '' : `:${column}`}`;
  return new NsError('NS_CONFIG_INVALID', `${where}: ${reason}`, { field: file, details: { file, line, column }, cause });
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    if (position === undefined) throw syntaxError(file, null, null, `invalid JSON (${message})`, error);
    const before = text.slice(0, Number(position)).split('\n');
    const reason = `invalid JSON (${message.replace(/ in JSON at position \d+.*$/, '')})`;
    throw syntaxError(file, before.length, (before.at(-1)?.length ?? 0) + 1, reason, error);
  }
}

function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw syntaxError(file, pos.line, pos.col, `invalid YAML (${first.message.split('\n')[0]})`, first);
  }
  return doc.toJS() as unknown;
}

/** Validate parsed data; exported so callers holding an in-memory config can use it. */
export function parseConfig(data: unknown, file: string): FileConfig {
  const root: At = { file, path: '' };
  const d = data ?? {};
  if (!isPlainObject(d)) throw invalidField({ file, path: '(top level)' }, 'must be a map of settings');
  checkKeys(d, root, TOP_KEYS);
  for (const section of SECTIONS) {
    const raw = d[section];
    const keys = SCALARS.filter(([k]) => k.startsWith(`${section}.`)).map(([k]) => k.slice(section.length + 1));
    if (raw === undefined) continue;
    if (!isPlainObject(raw)) throw invalidField(child(root, section), `must be a map with ${keys.map((k) => `"${k}"`).join(', ')}`);
    if (section === 'training' && raw.retryAttempts !== undefined) throw retiredAttempts(raw.retryAttempts, child(child(root, section), 'retryAttempts'), 'retries');
    checkKeys(raw, child(root, section), keys);
  }
  const patch: Record<string, unknown> = {};
  const origins: Origins = new Map();
  for (const [fileKey, key, parse] of SCALARS) {
    const [head, tail] = fileKey.split('.') as [string, string | undefined];
    const raw = tail === undefined ? d[head] : (d[head] as Record<string, unknown> | undefined)?.[tail];
    if (raw === undefined) continue;
    const at = fileKey.split('.').reduce<At>((a, k) => child(a, k), root);
    const value = parse(raw, at);
    const [group, name] = key.split('.') as [string, string | undefined];
    if (name === undefined) patch[group] = value;
    else ((patch[group] ??= {}) as Record<string, unknown>)[name] = value;
    origins.set(key, { at, raw });
  }
  return {
    file,
    path: file,
    patch: patch as ScalarPatch,
    origins,
    retry: parseRetryDefaults(d.retry, child(root, 'retry')),
    tenants: parseTenants(d.tenants, child(root, 'tenants')),
    jobs: parseJobs(d.jobs, child(root, 'jobs')),
    schedules: parseSchedules(d.schedules, child(root, 'schedules')),
    models: parseModels(d.models, child(root, 'models'), parseRetry),
    datasets: parseDatasets(d.datasets, child(root, 'datasets')),
    notifications: parseNotifications(d.notifications, child(root, 'notifications')),
  };
}

function parseRetryDefaults(raw: unknown, at: At): FileConfig['retry'] {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) throw invalidField(at, 'must be a map with "backoff" and "jitterRatio"');
  checkKeys(raw, at, ['backoff', 'jitterRatio']);
  const out: FileConfig['retry'] = {};
  if (raw.backoff !== undefined) out.backoffMs = parseBackoff(raw.backoff, child(at, 'backoff'));
  if (raw.jitterRatio !== undefined) {
    out.jitterRatio = toNumber(raw.jitterRatio, child(at, 'jitterRatio'), 'must be a number from 0 to 1', '0.1', { min: 0, max: 1 });
  }
  return out;
}
