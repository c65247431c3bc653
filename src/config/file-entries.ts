/**
 * Tenants, jobs and schedules of the config file, each validated on its own. Cross-references,
 * defaults that depend on other settings, and schedule timing are resolved in definitions.ts.
 */
import { DURATION_RANGES, MAX_BACKOFF_STEPS } from '../limits.ts';
import type { PipelineStep } from '../runs/exec/types.ts';
import { MAX_RETRIES } from './defaults.ts';
import { checkZone } from './env.ts';
import type { CatchUpPolicy, JobDefinition, JobRole, OverlapPolicy, RetryPolicy } from './types.ts';
import {
  checkKeys,
  child,
  eachMap,
  invalidField,
  invalidValue,
  isPlainObject,
  required,
  toBoolean,
  toDurationMs,
  toEnum,
  toId,
  toInteger,
  toNumber,
  toMisfireGraceMs,
  toStringList,
  toStringMap,
  toText,
  type At,
} from './values.ts';

export interface TenantInput {
  at: At;
  id: string;
  name: string | undefined;
  timezone: string | undefined;
}

export interface JobInput {
  at: At;
  id: string;
  role: JobRole | null;
  tenants: string[] | null;
  after: string[];
  timeoutMs: number | undefined;
  retry: Partial<RetryPolicy>;
  /** The final definition, once defaults that depend on other settings are known. */
  build: (timeoutMs: number, retry: RetryPolicy) => JobDefinition;
}

export interface ScheduleInput {
  at: At;
  id: string;
  tenant: string | undefined;
  job: string;
  cron: string | undefined;
  every: string | number | undefined;
  timezone: string | undefined;
  enabled: boolean | undefined;
  jitterMs: number | undefined;
  misfireGraceMs: number | undefined;
  catchUp: CatchUpPolicy | undefined;
  catchUpMax: number | undefined;
  overlap: OverlapPolicy | undefined;
}

const opt = <T>(raw: unknown, parse: (raw: unknown) => T): T | undefined => (raw === undefined ? undefined : parse(raw));
const ids = (raw: unknown, at: At, example: string) => toStringList(raw, at, example).map((id, i) => toId(id, child(at, i), example));

export function parseTenants(raw: unknown, at: At): TenantInput[] {
  return eachMap(raw, at, (t, at) => {
    checkKeys(t, at, ['id', 'name', 'timezone']);
    return {
      at,
      id: toId(required(t, 'id', at, 'acme'), child(at, 'id'), 'acme'),
      name: opt(t.name, (v) => toText(v, child(at, 'name'), 'Acme Ltd')),
      timezone: opt(t.timezone, (v) => checkZone(toText(v, child(at, 'timezone'), 'Europe/London'), child(at, 'timezone'))),
    };
  });
}

const JOB_KEYS = ['id', 'kind', 'description', 'role', 'tenants', 'timeout', 'retry', 'after', 'env'] as const;
const COMMAND_KEYS = ['command', 'args', 'cwd'] as const;

export function parseJobs(raw: unknown, at: At): JobInput[] {
  return eachMap(raw, at, (j, at) => {
    checkKeys(j, at, [...JOB_KEYS, ...COMMAND_KEYS, 'steps']);
    const kind = toEnum(required(j, 'kind', at, 'command'), child(at, 'kind'), ['command', 'pipeline', 'empty'] as const);
    checkKeys(j, at, kind === 'command' ? [...JOB_KEYS, ...COMMAND_KEYS] : kind === 'pipeline' ? [...JOB_KEYS, 'steps'] : [...JOB_KEYS]);
    const base = {
      id: toId(required(j, 'id', at, 'nightly-training'), child(at, 'id'), 'nightly-training'),
      description: opt(j.description, (v) => toText(v, child(at, 'description'), 'Nightly retrain')) ?? '',
      role: opt(j.role, (v) => toEnum(v, child(at, 'role'), ['training', 'analysis'] as const)) ?? null,
      tenants: opt(j.tenants, (v) => ids(v, child(at, 'tenants'), 'acme')) ?? null,
      after: opt(j.after, (v) => ids(v, child(at, 'after'), 'etl')) ?? [],
      env: opt(j.env, (v) => toStringMap(v, child(at, 'env'))) ?? {},
    };
    const timeoutMs = opt(j.timeout, (v) => toDurationMs(v, child(at, 'timeout'), { example: '2h', range: DURATION_RANGES.timeout }));
    const retry = parseRetry(j.retry, child(at, 'retry'));
    if (kind === 'command') {
      const spec = parseCommand(j, at);
      return { at, ...base, timeoutMs, retry, build: (timeoutMs, retry) => ({ ...base, ...spec, kind, timeoutMs, retry }) };
    }
    if (kind === 'empty') return { at, ...base, timeoutMs, retry, build: (timeoutMs, retry) => ({ ...base, kind, timeoutMs, retry }) };
    const steps = eachMap(required(j, 'steps', at, '[{ name: fetch, command: node }]'), child(at, 'steps'), parseStep);
    if (steps.length === 0) throw invalidField(child(at, 'steps'), 'must list at least one step');
    const seen = new Set<string>();
    steps.forEach((s, i) => {
      if (seen.has(s.name)) throw invalidValue(child(child(child(at, 'steps'), i), 'name'), s.name, 'duplicate step name', `${s.name}-2`);
      seen.add(s.name);
    });
    return { at, ...base, timeoutMs, retry, build: (timeoutMs, retry) => ({ ...base, kind, steps, timeoutMs, retry }) };
  });
}

function parseCommand(j: Record<string, unknown>, at: At): { command: string; args: string[]; cwd?: string } {
  const command = toText(required(j, 'command', at, 'node'), child(at, 'command'), 'node');
  const args = opt(j.args, (v) => toStringList(v, child(at, 'args'), 'train.js')) ?? [];
  const cwd = opt(j.cwd, (v) => toText(v, child(at, 'cwd'), '.'));
  return cwd === undefined ? { command, args } : { command, args, cwd };
}

function parseStep(s: Record<string, unknown>, at: At): PipelineStep {
  checkKeys(s, at, ['name', 'env', 'outcomes', ...COMMAND_KEYS]);
  const name = toId(required(s, 'name', at, 'fetch'), child(at, 'name'), 'fetch');
  const step: PipelineStep = { name, ...parseCommand(s, at) };
  const env = opt(s.env, (v) => toStringMap(v, child(at, 'env')));
  const outcomes = opt(s.outcomes, (v) => parseOutcomes(v, child(at, 'outcomes')));
  return { ...step, ...(env ? { env } : {}), ...(outcomes ? { outcomes } : {}) };
}

function parseOutcomes(raw: unknown, at: At): Record<string, string> {
  if (!isPlainObject(raw)) throw invalidField(at, 'must map exit codes to outcome names; example { "3": no_data }');
  const out: Record<string, string> = {};
  for (const [code, name] of Object.entries(raw)) {
    const here = child(at, code);
    if (!/^\d+$/.test(code) || Number(code) < 1 || Number(code) > 255) {
      throw invalidField(here, 'exit code must be a whole number from 1 to 255; example "3"');
    }
    if (typeof name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(name)) {
      throw invalidValue(here, name, 'must be an outcome name matching ^[a-z][a-z0-9_]{0,63}$', 'no_data');
    }
    out[code] = name;
  }
  return out;
}

export function parseRetry(raw: unknown, at: At): Partial<RetryPolicy> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) throw invalidField(at, 'must be a map; example { retries: 3, backoff: [5m, 15m, 45m] }');
  if (raw.attempts !== undefined) throw retiredAttempts(raw.attempts, child(at, 'attempts'), 'retries');
  checkKeys(raw, at, ['retries', 'backoff', 'jitterRatio']);
  const out: Partial<RetryPolicy> = {};
  if (raw.retries !== undefined) out.retries = toInteger(raw.retries, child(at, 'retries'), { min: 0, max: MAX_RETRIES }, '3');
  if (raw.backoff !== undefined) out.backoffMs = parseBackoff(raw.backoff, child(at, 'backoff'));
  if (raw.jitterRatio !== undefined) {
    out.jitterRatio = toNumber(raw.jitterRatio, child(at, 'jitterRatio'), 'must be a number from 0 to 1', '0.1', { min: 0, max: 1 });
  }
  return out;
}

/**
 * `attempts` (retry.attempts, training.retryAttempts) counted the first attempt too, so the
 * README's `attempts: 3` with backoff [5m, 15m, 45m] never reached the 45-minute step. It is
 * refused rather than read with its old meaning: a file that says it was most likely written
 * meaning seed 003's three retries, and only its author can say which was meant.
 */
export function retiredAttempts(raw: unknown, at: At, replacement: string): Error {
  const n = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 1 ? raw : null;
  const keep = n === null ? `${replacement}: <attempts − 1> to keep the same number of attempts` : `${replacement}: ${n - 1} to keep ${n} attempt${n === 1 ? '' : 's'}`;
  const key = at.path.split('.').at(-1);
  return invalidValue(
    at,
    raw,
    `"${key}" counted the first attempt too and is no longer read; "${replacement}" counts the retries after the first attempt: write ${keep}, or ${replacement}: 3 for seed 003's three retries (the default)`,
    `${replacement}: 3`,
  );
}

export function parseBackoff(raw: unknown, at: At): number[] {
  if (!Array.isArray(raw)) throw invalidField(at, 'must be a list of durations; example [5m, 15m, 45m]');
  if (raw.length > MAX_BACKOFF_STEPS) throw invalidField(at, `must list at most ${MAX_BACKOFF_STEPS} durations (the last one repeats); example [5m, 15m, 45m]`);
  return raw.map((item, i) => toDurationMs(item, child(at, i), { allowZero: true, example: '5m', range: DURATION_RANGES.backoff }));
}

const SCHEDULE_KEYS = [
  'id', 'tenant', 'job', 'cron', 'every', 'timezone', 'enabled', 'jitter', 'misfireGrace', 'catchUp', 'catchUpMax', 'overlap',
] as const;

export function parseSchedules(raw: unknown, at: At): ScheduleInput[] {
  return eachMap(raw, at, (s, at) => {
    checkKeys(s, at, SCHEDULE_KEYS);
    const f = (key: string) => child(at, key);
    if (s.cron === undefined && s.every === undefined) throw invalidField(at, 'needs "cron" or "every"; example cron: "0 2 * * *"');
    if (s.cron !== undefined && s.every !== undefined) throw invalidField(at, 'give "cron" or "every", not both');
    if (s.every !== undefined && typeof s.every !== 'string' && typeof s.every !== 'number') {
      throw invalidValue(f('every'), s.every, 'must be a duration', '6h');
    }
    return {
      at,
      id: toId(required(s, 'id', at, 'acme-nightly'), f('id'), 'acme-nightly'),
      tenant: opt(s.tenant, (v) => toId(v, f('tenant'), 'acme')),
      job: toId(required(s, 'job', at, 'nightly-training'), f('job'), 'nightly-training'),
      cron: opt(s.cron, (v) => toText(v, f('cron'), '0 2 * * *')),
      every: s.every as string | number | undefined,
      timezone: opt(s.timezone, (v) => checkZone(toText(v, f('timezone'), 'Europe/London'), f('timezone'))),
      enabled: opt(s.enabled, (v) => toBoolean(v, f('enabled'))),
      jitterMs: opt(s.jitter, (v) => toDurationMs(v, f('jitter'), { allowZero: true, example: '5m', range: DURATION_RANGES.jitter })),
      misfireGraceMs: opt(s.misfireGrace, (v) => toMisfireGraceMs(v, f('misfireGrace'))),
      catchUp: opt(s.catchUp, (v) => toEnum(v, f('catchUp'), ['latest', 'skip', 'all'] as const)),
      catchUpMax: opt(s.catchUpMax, (v) => toInteger(v, f('catchUpMax'), { min: 1, max: 10_000 }, '10')),
      overlap: opt(s.overlap, (v) => toEnum(v, f('overlap'), ['skip', 'queue_one'] as const)),
    };
  });
}
