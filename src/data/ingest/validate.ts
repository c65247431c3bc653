/**
 * What every ingest validator shares: the dataset's columns and their rules, how one converted
 * value is judged, and the batch-wide duplicate check. The validators themselves (validate-json.ts,
 * validate-csv.ts) report every bad value with its row and column; a batch is written only when no
 * row has an error.
 */
import type { DatasetSchema } from '../types.ts';
import type { SampleBatch } from '../../store/samples.ts';
import type { SampleBatchBuilder } from './sample-batch.ts';
import { type RowError, RowErrors } from './row-errors.ts';
import { Reject } from './values.ts';

export interface Validated {
  batch: SampleBatch;
  errors: RowErrors;
}

/** One column: its name, whether it may be missing, and what to say when it is missing but may not be. */
export interface Rule {
  name: string;
  nullable: boolean;
  missing: string;
}

export interface Rules {
  entity: Rule;
  ts: Rule;
  label: Rule;
  features: Rule[];
  /** The latest timestamp accepted (the service clock plus the allowed skew); +Infinity: no bound. */
  latestTs: number;
  /** Why a later timestamp is refused. */
  tooLate(ts: number): string;
}

/** The service clock and how far ahead of it a sample may be dated (NIGHTSHIFT_INGEST_MAX_SKEW). */
export interface ClockBound {
  now: number;
  maxSkewMs: number;
}

export const columnNames = (schema: DatasetSchema) => [schema.entityKey, schema.timestamp, ...schema.features.map((f) => f.name), schema.label.name];

export function rulesOf(schema: DatasetSchema, clock: ClockBound | null = null): Rules {
  const notNullable = 'missing, and the dataset schema says it is not nullable';
  return {
    entity: { name: schema.entityKey, nullable: false, missing: 'missing; every row needs its entity key' },
    ts: { name: schema.timestamp, nullable: false, missing: 'missing; every row needs its timestamp' },
    label: { name: schema.label.name, nullable: schema.label.nullable, missing: notNullable },
    features: schema.features.map((f) => ({ name: f.name, nullable: f.nullable, missing: notNullable })),
    latestTs: clock ? clock.now + clock.maxSkewMs : Number.POSITIVE_INFINITY,
    tooLate: (ts) =>
      clock
        ? `${new Date(ts).toISOString()} is ${roughly(ts - clock.now)} ahead of the service clock (${new Date(clock.now).toISOString()}); ` +
          `at most ${durationText(clock.maxSkewMs)} ahead is accepted (NIGHTSHIFT_INGEST_MAX_SKEW): check the sender's clock and time zone`
        : '',
  };
}

/** A valid timestamp past rules.latestTs is an error of its row; true when the row may keep it. */
export function notTooLate(ts: number, rules: Rules, errors: RowErrors, row: number, line: number): boolean {
  if (ts <= rules.latestTs) return true;
  errors.add(rowError(row, line, rules.ts.name, rules.tooLate(ts)));
  return false;
}

const durationText = (ms: number): string => {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
};

/** How far ahead, as people read it: "72.8 years", "26 days", else exactly ("1h 0m 1s", "250ms"). */
function roughly(ms: number): string {
  if (ms >= 2 * 365.25 * 86_400_000) return `${Number((ms / (365.25 * 86_400_000)).toPrecision(3))} years`;
  if (ms >= 2 * 86_400_000) return `${Number((ms / 86_400_000).toPrecision(3))} days`;
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (rest >= size || parts.length > 0) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join(' ');
}

/** An error at a row; line 0 = not known (JSON array elements carry no line). */
export const rowError = (row: number, line: number, field: string | null, reason: string): RowError => (line > 0 ? { row, line, field, reason } : { row, field, reason });

/** Reports a rejected value, or a missing one the rule forbids; true when the value may be stored. */
export function accept(v: unknown, rule: Rule, errors: RowErrors, row: number, line: number): boolean {
  if (v instanceof Reject) {
    errors.add(rowError(row, line, rule.name, v.reason));
    return false;
  }
  if (v === null && !rule.nullable) {
    errors.add(rowError(row, line, rule.name, rule.missing));
    return false;
  }
  return true;
}

/**
 * Rows that repeat an earlier row's (entity, ts) are errors: a batch holds one sample per pair.
 * Rows in strictly increasing time (the usual batch) cannot repeat one, which one pass shows;
 * otherwise a map keyed by ts holds the one entity seen at that instant (a Set once there are
 * several), so the common case allocates no key strings.
 */
export function checkDuplicates(schema: DatasetSchema, b: SampleBatchBuilder, errors: RowErrors): void {
  const { ts, entity } = b;
  let increasing = true;
  for (let i = 1; i < b.rows && increasing; i += 1) increasing = ts[i - 1]! < ts[i]!;
  if (increasing) return;
  const seen = new Map<number, string | Set<string>>();
  const duplicates: number[] = [];
  for (let i = 0; i < b.rows; i += 1) {
    const t = ts[i]!;
    const e = entity[i]!;
    const known = seen.get(t);
    if (known === undefined) seen.set(t, e);
    else if (typeof known === 'string') {
      if (known === e) duplicates.push(i);
      else seen.set(t, new Set([known, e]));
    } else if (known.has(e)) duplicates.push(i);
    else known.add(e);
  }
  if (duplicates.length === 0) return;
  const key = (i: number) => `${ts[i]}\u0000${entity[i]}`;
  const instants = new Set(duplicates.map((i) => ts[i]));
  const firstOf = new Map<string, number>();
  for (let i = 0; i < b.rows; i += 1) if (instants.has(ts[i]!) && !firstOf.has(key(i))) firstOf.set(key(i), i);
  for (const i of duplicates) {
    const first = b.sourceRow[firstOf.get(key(i))!];
    errors.add(rowError(b.sourceRow[i]!, b.sourceLine[i]!, schema.timestamp, `same entity "${entity[i]}" and timestamp as row ${first}; send one sample per (entity, timestamp)`));
  }
}
