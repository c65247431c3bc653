/**
 * One record (a CSV line, a SQL result row, a JSON object) read into a RawSample through the
 * dataset schema. Values go through the same parsers as ingest (src/data/ingest/values.ts), so a
 * dataset accepts the same data whether it is ingested or read from a source: text cells are parsed
 * as text (CSV, PostgreSQL int8/numeric), typed values as typed (SQL numbers, booleans); a Date
 * (PostgreSQL timestamptz) is its instant. An empty or blank string is a missing value.
 */
import { NsError } from '../../errors.ts';
import {
  binaryFromJson,
  binaryFromText,
  categoryFromText,
  entityFromJson,
  entityFromText,
  numberFromJson,
  numberFromText,
  Reject,
  timeFromJson,
  timeFromText,
} from '../ingest/values.ts';
import type { ColumnType, DatasetSchema, RawSample } from '../types.ts';

/** Where a record came from, for error messages: e.g. `tenant_1.csv line 12`. */
export type RecordOrigin = () => string;

const bad = (origin: RecordOrigin, column: string, message: string): NsError =>
  new NsError('NS_VALIDATION', `${origin()}: column "${column}": ${message}`, { field: column, details: { at: origin() } });

type Parse<T> = (v: unknown) => T | null | Reject;

/** Text goes through the text parser, everything else through the typed one; bigints as numbers. */
function reader<T>(fromText: (s: string) => T | null | Reject, fromTyped: Parse<T>): Parse<T> {
  return (v) => {
    if (typeof v === 'string') return v.trim() === '' ? null : fromText(v.trim());
    return fromTyped(typeof v === 'bigint' ? Number(v) : v);
  };
}

const readNumber = reader(numberFromText, numberFromJson);
const readEntity = reader(entityFromText, entityFromJson);
const readBinary = reader(binaryFromText, binaryFromJson);
const readTime: Parse<number> = (v) => (v instanceof Date ? v.getTime() : reader(timeFromText, timeFromJson)(v));
// A source's categorical column may be typed (an integer code, a boolean): its text is the category.
const readCategory: Parse<string> = (v) =>
  typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? categoryFromText(String(v)) : reader(categoryFromText, () => null)(v);

/** The record's time, or NaN when it is not one (sources filter windows before validating rows). */
export function parseTime(v: unknown): number {
  const t = readTime(v);
  return typeof t === 'number' ? t : Number.NaN;
}

function required<T>(value: T | null | Reject, origin: RecordOrigin, column: string, nullable: boolean, what: string): T | null {
  if (value instanceof Reject) throw bad(origin, column, value.reason);
  if (value === null && !nullable) throw bad(origin, column, `${what} is empty but the schema declares it not nullable`);
  return value;
}

function cell(v: unknown, type: ColumnType, nullable: boolean, origin: RecordOrigin, column: string): number | string | null {
  if (type === 'numeric') return required(readNumber(v ?? null), origin, column, nullable, 'the value');
  if (v !== null && v !== undefined && typeof v === 'object') throw bad(origin, column, `expected a category (text), got ${JSON.stringify(v)}`);
  return required(readCategory(v ?? null), origin, column, nullable, 'the value');
}

/** Reads one record; throws NS_VALIDATION naming the column (field) and the origin. */
export function sampleFromRecord(record: Readonly<Record<string, unknown>>, schema: DatasetSchema, origin: RecordOrigin): RawSample {
  const entity = required(readEntity(record[schema.entityKey] ?? null), origin, schema.entityKey, false, 'the entity');
  const ts = required(readTime(record[schema.timestamp] ?? null), origin, schema.timestamp, false, 'the timestamp');
  const values: Record<string, number | string | null> = {};
  for (const f of schema.features) values[f.name] = cell(record[f.name], f.type, f.nullable, origin, f.name);
  const { name, type, nullable } = schema.label;
  const raw = record[name] ?? null;
  const label = required(type === 'binary' ? readBinary(raw) : readNumber(raw), origin, name, nullable, 'the label');
  return { entity: entity!, ts: ts!, values, label };
}

/** The columns a record must provide; a nullable feature or label may be absent altogether. */
export function missingColumns(available: ReadonlySet<string>, schema: DatasetSchema): string[] {
  const required = [
    schema.entityKey,
    schema.timestamp,
    ...schema.features.filter((f) => !f.nullable).map((f) => f.name),
    ...(schema.label.nullable ? [] : [schema.label.name]),
  ];
  return required.filter((c) => !available.has(c));
}
