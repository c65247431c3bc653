/**
 * Rows → validated RawSamples against a dataset schema. Every bad value is reported with its row
 * and column; a batch is written only when no row has an error.
 */
import type { DatasetSchema, RawSample } from '../types.ts';
import type { CsvRecord } from './csv.ts';
import type { JsonRecord } from './records.ts';
import { RowErrors } from './row-errors.ts';
import * as V from './values.ts';

type Convert<T> = (v: T) => number | string | null | V.Reject;

interface Column<T> {
  name: string;
  nullable: boolean;
  convert: Convert<T>;
}

interface Plan<T> {
  entity: Column<T>;
  ts: Column<T>;
  label: Column<T>;
  features: Array<Column<T>>;
}

function plan(schema: DatasetSchema, mode: 'json'): Plan<unknown>;
function plan(schema: DatasetSchema, mode: 'text'): Plan<string>;
function plan(schema: DatasetSchema, mode: 'json' | 'text'): Plan<unknown> | Plan<string> {
  const json = mode === 'json';
  return {
    entity: { name: schema.entityKey, nullable: false, convert: json ? V.entityFromJson : V.entityFromText },
    ts: { name: schema.timestamp, nullable: false, convert: json ? V.timeFromJson : V.timeFromText },
    label: {
      name: schema.label.name,
      nullable: schema.label.nullable,
      convert: schema.label.type === 'binary' ? (json ? V.binaryFromJson : V.binaryFromText) : json ? V.numberFromJson : V.numberFromText,
    },
    features: schema.features.map((f) => ({
      name: f.name,
      nullable: f.nullable,
      convert: f.type === 'numeric' ? (json ? V.numberFromJson : V.numberFromText) : json ? V.categoryFromJson : V.categoryFromText,
    })),
  } as Plan<unknown> | Plan<string>;
}

const columnNames = (schema: DatasetSchema) => [schema.entityKey, schema.timestamp, ...schema.features.map((f) => f.name), schema.label.name];

function missingReason(column: string, schema: DatasetSchema): string {
  if (column === schema.entityKey) return 'missing; every row needs its entity key';
  if (column === schema.timestamp) return 'missing; every row needs its timestamp';
  return 'missing, and the dataset schema says it is not nullable';
}

/** Converts one value, reporting a reject or a forbidden null; returns undefined when it failed. */
function take<T, R>(col: Column<T>, raw: T, at: { row: number; line?: number }, errors: RowErrors, schema: DatasetSchema): R | null | undefined {
  const v = col.convert(raw);
  if (v instanceof V.Reject) {
    errors.add({ ...at, field: col.name, reason: v.reason });
    return undefined;
  }
  if (v === null && !col.nullable) {
    errors.add({ ...at, field: col.name, reason: missingReason(col.name, schema) });
    return undefined;
  }
  return v as R | null;
}

/** Accepted rows so far: the samples and where each came from (parallel arrays, no per-row wrapper). */
interface Accepted {
  samples: RawSample[];
  rows: number[];
  lines: number[];
}

/**
 * Rows that repeat an earlier row's (entity, ts) are errors: a batch holds one sample per pair.
 * Keyed by ts, holding the one entity seen at that instant (a Set once there are several), so the
 * common case allocates no key strings.
 */
function checkDuplicates(schema: DatasetSchema, ok: Accepted, errors: RowErrors): void {
  const seen = new Map<number, string | Set<string>>();
  const duplicates: number[] = [];
  for (let i = 0; i < ok.samples.length; i += 1) {
    const { ts, entity } = ok.samples[i]!;
    const known = seen.get(ts);
    if (known === undefined) seen.set(ts, entity);
    else if (typeof known === 'string') {
      if (known === entity) duplicates.push(i);
      else seen.set(ts, new Set([known, entity]));
    } else if (known.has(entity)) duplicates.push(i);
    else known.add(entity);
  }
  if (duplicates.length === 0) return;
  const key = (s: RawSample) => `${s.ts}\u0000${s.entity}`;
  const instants = new Set(duplicates.map((i) => ok.samples[i]!.ts));
  const firstOf = new Map<string, number>();
  ok.samples.forEach((s, i) => {
    if (instants.has(s.ts) && !firstOf.has(key(s))) firstOf.set(key(s), i);
  });
  for (const i of duplicates) {
    const sample = ok.samples[i]!;
    const line = ok.lines[i];
    const first = ok.rows[firstOf.get(key(sample))!];
    errors.add({ row: ok.rows[i]!, ...(line !== undefined && line > 0 ? { line } : {}), field: schema.timestamp, reason: `same entity "${sample.entity}" and timestamp as row ${first}; send one sample per (entity, timestamp)` });
  }
}

export interface Validated {
  samples: RawSample[];
  errors: RowErrors;
}

/** JSON objects (a JSON array's elements or NDJSON lines). */
export function validateObjects(schema: DatasetSchema, records: readonly JsonRecord[], errors = new RowErrors()): Validated {
  const p = plan(schema, 'json');
  const known = new Set(columnNames(schema));
  const expected = columnNames(schema).join(', ');
  const ok: Accepted = { samples: [], rows: [], lines: [] };
  for (const record of records) {
    const at = record.line !== undefined ? { row: record.row, line: record.line } : { row: record.row };
    const obj = record.value;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      errors.add({ ...at, field: null, reason: `expected an object with the dataset's columns (${expected}), got ${Array.isArray(obj) ? 'an array' : obj === null ? 'null' : `a ${typeof obj}`}` });
      continue;
    }
    const o = obj as Record<string, unknown>;
    const before = errors.total;
    for (const key in o) if (!known.has(key)) errors.add({ ...at, field: key, reason: `unknown column; the dataset's columns are ${expected}` });
    const entity = take<unknown, string>(p.entity, o[p.entity.name], at, errors, schema);
    const ts = take<unknown, number>(p.ts, o[p.ts.name], at, errors, schema);
    const label = take<unknown, number>(p.label, o[p.label.name], at, errors, schema);
    const values: Record<string, number | string | null> = {};
    for (const f of p.features) {
      const v = take<unknown, number | string>(f, o[f.name], at, errors, schema);
      if (v !== undefined) values[f.name] = v;
    }
    if (errors.total === before) {
      ok.samples.push({ entity: entity!, ts: ts!, values, label: label ?? null });
      ok.rows.push(record.row);
      ok.lines.push(record.line ?? 0);
    }
  }
  checkDuplicates(schema, ok, errors);
  return { samples: ok.samples, errors };
}

/** CSV records under a header row naming the columns (any order; nullable columns may be absent). */
export function validateCsv(schema: DatasetSchema, header: CsvRecord, records: readonly CsvRecord[], errors = new RowErrors()): Validated {
  const p = plan(schema, 'text');
  const names = header.cells.map((c) => c.trim());
  const expected = columnNames(schema).join(', ');
  const known = new Set(columnNames(schema));
  const index = new Map<string, number>();
  const at0 = { row: 0, line: header.line };
  names.forEach((name, i) => {
    if (!known.has(name)) errors.add({ ...at0, field: name, reason: `unknown column in the header; the dataset's columns are ${expected}` });
    else if (index.has(name)) errors.add({ ...at0, field: name, reason: 'column appears twice in the header' });
    else index.set(name, i);
  });
  const columns = [p.entity, p.ts, p.label, ...p.features];
  for (const col of columns) {
    if (!index.has(col.name) && !col.nullable) errors.add({ ...at0, field: col.name, reason: `column missing from the header; it is required (${missingReason(col.name, schema)})` });
  }
  if (errors.total > 0) return { samples: [], errors };
  // Cell positions resolved once; -1 = a nullable column the file leaves out.
  const at = (name: string) => index.get(name) ?? -1;
  const [ie, it, il] = [at(p.entity.name), at(p.ts.name), at(p.label.name)];
  const featureAt = p.features.map((f) => at(f.name));
  const cell = (cells: string[], i: number) => (i === -1 ? '' : cells[i]!);
  const ok: Accepted = { samples: [], rows: [], lines: [] };
  for (const record of records) {
    const where = { row: record.row, line: record.line };
    const cells = record.cells;
    if (cells.length !== names.length) {
      errors.add({ ...where, field: null, reason: `has ${cells.length} fields, the header has ${names.length}` });
      continue;
    }
    const before = errors.total;
    const entity = take<string, string>(p.entity, cell(cells, ie), where, errors, schema);
    const ts = take<string, number>(p.ts, cell(cells, it), where, errors, schema);
    const label = take<string, number>(p.label, cell(cells, il), where, errors, schema);
    const values: Record<string, number | string | null> = {};
    for (let f = 0; f < p.features.length; f += 1) {
      const col = p.features[f]!;
      const v = take<string, number | string>(col, cell(cells, featureAt[f]!), where, errors, schema);
      if (v !== undefined) values[col.name] = v;
    }
    if (errors.total === before) {
      ok.samples.push({ entity: entity!, ts: ts!, values, label: label ?? null });
      ok.rows.push(record.row);
      ok.lines.push(record.line);
    }
  }
  checkDuplicates(schema, ok, errors);
  return { samples: ok.samples, errors };
}
