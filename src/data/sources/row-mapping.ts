/**
 * One record (a CSV line, a SQL result row, a JSON object) read into a RawSample through the
 * dataset schema: the entity and timestamp columns, each declared feature, and the label.
 * Numbers may arrive as strings (CSV, PostgreSQL int8/numeric); times as ISO strings, epoch ms
 * (number or digits) or Date (PostgreSQL timestamptz). An empty string is a missing value.
 */
import { NsError } from '../../errors.ts';
import type { ColumnType, DatasetSchema, RawSample } from '../types.ts';

/** Where a record came from, for error messages: e.g. `tenant_1.csv line 12`. */
export type RecordOrigin = () => string;

const bad = (origin: RecordOrigin, column: string, message: string): NsError =>
  new NsError('NS_VALIDATION', `${origin()}: column "${column}": ${message}`, { field: column, details: { at: origin() } });

const isMissing = (v: unknown): boolean => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

export function parseTime(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string') return Number.NaN;
  const text = v.trim();
  if (/^-?\d+$/.test(text)) return Number(text);
  // A date-time without a zone would depend on the host's zone: refuse it rather than guess.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text) && !/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text)) return Number.NaN;
  return Date.parse(text);
}

function numeric(v: unknown, origin: RecordOrigin, column: string): number {
  const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v.trim()) : typeof v === 'boolean' ? Number(v) : Number.NaN;
  if (!Number.isFinite(x)) throw bad(origin, column, `expected a number, got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}`);
  return x;
}

function cell(v: unknown, type: ColumnType, nullable: boolean, origin: RecordOrigin, column: string): number | string | null {
  if (isMissing(v)) {
    if (!nullable) throw bad(origin, column, 'is empty but the schema declares it not nullable');
    return null;
  }
  if (type === 'numeric') return numeric(v, origin, column);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  throw bad(origin, column, `expected a category (text), got ${JSON.stringify(v)}`);
}

function label(v: unknown, schema: DatasetSchema, origin: RecordOrigin): number | null {
  const { name, type, nullable } = schema.label;
  if (isMissing(v)) {
    if (!nullable) throw bad(origin, name, 'the label is empty but the schema declares it not nullable');
    return null;
  }
  if (type === 'binary') {
    if (v === true || v === 'true' || v === 't') return 1;
    if (v === false || v === 'false' || v === 'f') return 0;
    const x = numeric(v, origin, name);
    if (x !== 0 && x !== 1) throw bad(origin, name, `a binary label must be 0 or 1, got ${JSON.stringify(v)}`);
    return x;
  }
  return numeric(v, origin, name);
}

/** Reads one record; throws NS_VALIDATION naming the column (field) and the origin. */
export function sampleFromRecord(record: Readonly<Record<string, unknown>>, schema: DatasetSchema, origin: RecordOrigin): RawSample {
  const entityValue = record[schema.entityKey];
  if (isMissing(entityValue)) throw bad(origin, schema.entityKey, 'the entity is empty');
  if (typeof entityValue !== 'string' && typeof entityValue !== 'number' && typeof entityValue !== 'bigint') {
    throw bad(origin, schema.entityKey, `expected an entity id, got ${JSON.stringify(entityValue)}`);
  }
  const ts = parseTime(record[schema.timestamp]);
  if (!Number.isFinite(ts)) {
    throw bad(origin, schema.timestamp, `expected an ISO-8601 date-time with a zone or epoch ms, got ${JSON.stringify(record[schema.timestamp])}`);
  }
  const values: Record<string, number | string | null> = {};
  for (const f of schema.features) values[f.name] = cell(record[f.name], f.type, f.nullable, origin, f.name);
  return { entity: String(entityValue), ts, values, label: label(record[schema.label.name], schema, origin) };
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
