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
}

export const columnNames = (schema: DatasetSchema) => [schema.entityKey, schema.timestamp, ...schema.features.map((f) => f.name), schema.label.name];

export function rulesOf(schema: DatasetSchema): Rules {
  const notNullable = 'missing, and the dataset schema says it is not nullable';
  return {
    entity: { name: schema.entityKey, nullable: false, missing: 'missing; every row needs its entity key' },
    ts: { name: schema.timestamp, nullable: false, missing: 'missing; every row needs its timestamp' },
    label: { name: schema.label.name, nullable: schema.label.nullable, missing: notNullable },
    features: schema.features.map((f) => ({ name: f.name, nullable: f.nullable, missing: notNullable })),
  };
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
