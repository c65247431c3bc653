/**
 * Value parsers shared by env variables and the config file. Every failure is an NsError
 * ('NS_CONFIG_INVALID') whose message reads `NAME="value": what is wrong; example "valid"`,
 * prefixed with the file name when the value came from a file; `field` is the name or path.
 */
import { isNsError, NsError } from '../errors.ts';
import { ID_RULE } from '../ids.ts';
import { DURATION_RANGES, outOfRange, type DurationRange } from '../limits.ts';
import { compileTiming, MIN_MISFIRE_GRACE_MS, MISFIRE_GRACE_RULE, parseDuration } from '../schedule/index.ts';

/** Where a value came from: an env variable (file null) or a path inside a config file. */
export interface At {
  readonly file: string | null;
  readonly path: string;
}

export { ID_RULE };
const ID_RE = new RegExp(ID_RULE);

export const child = (at: At, key: string | number): At => ({
  file: at.file,
  path: typeof key === 'number' ? `${at.path}[${key}]` : at.path === '' ? key : `${at.path}.${key}`,
});

const prefix = (at: At) => (at.file === null ? '' : `${at.file}: `);
const details = (at: At) => (at.file === null ? undefined : { file: at.file });

export const show = (value: unknown): string =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

export function invalidValue(at: At, value: unknown, reason: string, example?: string): NsError {
  const tail = example === undefined ? '' : `; example "${example}"`;
  return new NsError('NS_CONFIG_INVALID', `${prefix(at)}${at.path}="${show(value)}": ${reason}${tail}`, {
    field: at.path,
    details: details(at),
  });
}

/** A problem with a field as a whole (missing, unknown, wrong shape) rather than with its value. */
export function invalidField(at: At, reason: string): NsError {
  return new NsError('NS_CONFIG_INVALID', `${prefix(at)}${at.path}: ${reason}`, { field: at.path, details: details(at) });
}

/** Schedule-module errors already read `field="value": reason; example`; keep the text, add the file. */
export function rethrowAsConfig(error: unknown, at: At): never {
  if (!isNsError(error)) throw error;
  throw new NsError('NS_CONFIG_INVALID', `${prefix(at)}${error.message}`, {
    field: error.field ?? at.path,
    details: details(at),
    cause: error,
  });
}

/** A cron expression, checked by the schedule module; its message names `at.path` as the field. */
export function validateCron(cron: string, at: At): string {
  try {
    compileTiming({ cron }, '', 'UTC', { cron: at.path });
  } catch (error) {
    rethrowAsConfig(error, at);
  }
  return cron;
}

export function toText(raw: unknown, at: At, example: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw invalidValue(at, raw, 'must be a non-empty string', example);
  return raw;
}

export function toId(raw: unknown, at: At, example: string): string {
  if (typeof raw !== 'string' || !ID_RE.test(raw)) {
    throw invalidValue(at, raw, `must match ${ID_RULE} (lowercase letters, digits, "_", "." and "-")`, example);
  }
  return raw;
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

export function toBoolean(raw: unknown, at: At): boolean {
  if (typeof raw === 'boolean') return raw;
  const token = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : null;
  if (token !== null && TRUE.includes(token)) return true;
  if (token !== null && FALSE.includes(token)) return false;
  throw invalidValue(at, raw, 'must be true or false (also 1/0, yes/no)', 'true');
}

export function toInteger(raw: unknown, at: At, range: { min: number; max?: number }, example: string): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  const { min, max } = range;
  if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    const bound = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
    throw invalidValue(at, raw, `must be a whole number ${bound}`, example);
  }
  return n;
}

/** A finite number > 0 (fractions allowed), or within [min, max] when given. */
export function toNumber(raw: unknown, at: At, reason: string, example: string, range?: { min: number; max: number }): number {
  const n =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(raw) ? Number(raw) : NaN;
  const ok = Number.isFinite(n) && (range ? n >= range.min && n <= range.max : n > 0);
  if (!ok) throw invalidValue(at, raw, reason, example);
  return n;
}

export function toEnum<T extends string>(raw: unknown, at: At, allowed: readonly T[], example: T | undefined = allowed[0]): T {
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  const quoted = allowed.map((a) => `"${a}"`);
  const list = quoted.length === 2 ? `${quoted[0]} or ${quoted[1]}` : `one of ${quoted.join(', ')}`;
  throw invalidValue(at, raw, `must be ${list}`, example);
}

/**
 * A duration string ("90s", "6h") or a number of milliseconds; digits-only strings are milliseconds.
 * With a range (src/limits.ts), a value outside it is refused, naming the range.
 */
export function toDurationMs(raw: unknown, at: At, opts: { allowZero?: boolean; example?: string; range?: DurationRange } = {}): number {
  const example = opts.example ?? '6h';
  if (typeof raw !== 'string' && typeof raw !== 'number') throw invalidValue(at, raw, 'must be a duration', example);
  const value = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  let ms: number;
  try {
    ms = parseDuration(value, at.path);
  } catch (error) {
    rethrowAsConfig(error, at);
  }
  // A range from 0s allows zero (policyDebounce, ingestMaxSkew).
  const allowZero = opts.allowZero ?? opts.range?.minMs === 0;
  if (ms < 0 || (ms === 0 && !allowZero)) throw invalidValue(at, raw, 'must be a duration greater than zero', example);
  const reason = opts.range === undefined ? null : outOfRange(ms, opts.range);
  if (reason !== null) throw invalidValue(at, raw, reason, example);
  return ms;
}

/** A misfire grace (a schedule's, or the default): a duration of at least MIN_MISFIRE_GRACE_MS. */
export function toMisfireGraceMs(raw: unknown, at: At): number {
  // Below the minimum, the rule says why (and what to do instead) rather than the range alone.
  const ms = toDurationMs(raw, at, { allowZero: true, example: '1h' });
  if (ms < MIN_MISFIRE_GRACE_MS) throw invalidValue(at, raw, MISFIRE_GRACE_RULE, '1h');
  const reason = outOfRange(ms, DURATION_RANGES.misfireGrace);
  if (reason !== null) throw invalidValue(at, raw, reason, '1h');
  return ms;
}

export function toStringList(raw: unknown, at: At, example: string): string[] {
  if (!Array.isArray(raw)) throw invalidValue(at, raw, 'must be a list of strings', example);
  return raw.map((item, i) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' || typeof item === 'boolean') return String(item);
    throw invalidValue(child(at, i), item, 'must be a string', example);
  });
}

export function toStringMap(raw: unknown, at: At): Record<string, string> {
  if (!isPlainObject(raw)) throw invalidValue(at, raw, 'must be a map of names to strings', '{ KEY: value }');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
    else throw invalidValue(child(at, key), value, 'must be a string', 'value');
  }
  return out;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function suggest(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = (word.length <= 3 ? 1 : word.length <= 8 ? 2 : 3) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Milliseconds as the duration text a user would write, for examples: 5_400_000 → "90m", 1500 → "1500". */
export function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return String(ms);
}

/** Reject keys not in `allowed`, naming the path and the closest allowed key. */
export function checkKeys(obj: Record<string, unknown>, at: At, allowed: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const near = suggest(key, allowed);
    const hint = near === null ? `expected one of ${allowed.join(', ')}` : `did you mean "${near}"?`;
    throw invalidField(child(at, key), `unknown field; ${hint}`);
  }
}

/** A required field's raw value, or an error saying it is missing. */
export function required(obj: Record<string, unknown>, key: string, at: At, example: string): unknown {
  const raw = obj[key];
  if (raw === undefined || raw === null) throw invalidField(child(at, key), `is required; example "${example}"`);
  return raw;
}

/** Each entry of an optional list of maps; a missing list is empty. */
export function eachMap<T>(raw: unknown, at: At, parse: (entry: Record<string, unknown>, at: At) => T): T[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidField(at, 'must be a list');
  return raw.map((entry, i) => {
    if (!isPlainObject(entry)) throw invalidField(child(at, i), 'must be a map');
    return parse(entry, child(at, i));
  });
}
