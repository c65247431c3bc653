/**
 * Seed 003's per-organization `schemaConfig` turned into a FeatureSpec:
 *
 *   { "continuousColumns": ["temp", "press", "vib"], "categoricalColumns": ["model"],
 *     "columnMapping": { "temp": "temperature", … }, "lagSeconds": [60, 120], "rollingWindows": [5, 10] }
 *
 * Its column lists name RAW columns; they are renamed through `columnMapping`. Every lag in
 * `lagSeconds` and every window in `rollingWindows` applies to every continuous column, with all
 * four rolling statistics. `rollingWindows` entries are seconds (like `lagSeconds`) or duration
 * strings ("6h", "1d").
 */
import { NsError } from '../../errors.ts';
import { parseDuration } from '../../schedule/duration.ts';
import { parseFeatureSpec, ROLLING_STATS, type FeatureSpec } from './spec.ts';

export interface SchemaConfig {
  continuousColumns: string[];
  categoricalColumns?: string[];
  columnMapping?: Record<string, string>;
  lagSeconds?: number[];
  rollingWindows?: Array<number | string>;
}

const invalid = (field: string, message: string): NsError => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

function list<T>(v: unknown, field: string): T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(field, 'must be an array');
  return v as T[];
}

export function specFromSchemaConfig(config: unknown, field = 'schemaConfig'): FeatureSpec {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw invalid(field, 'must be an object');
  const c = config as Record<string, unknown>;
  const mapping = (c.columnMapping ?? {}) as Record<string, string>;
  if (typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) throw invalid(`${field}.columnMapping`, 'must be an object {rawName: name}');
  const rename = (raw: unknown) => (typeof raw === 'string' && Object.prototype.hasOwnProperty.call(mapping, raw) ? mapping[raw] : raw);
  const continuous = list<string>(c.continuousColumns, `${field}.continuousColumns`).map(rename);
  const categorical = list<string>(c.categoricalColumns, `${field}.categoricalColumns`).map(rename);
  const lags = list<unknown>(c.lagSeconds, `${field}.lagSeconds`).map((l, i) => positive(l, `${field}.lagSeconds[${i}]`));
  const windows = list<unknown>(c.rollingWindows, `${field}.rollingWindows`).map((w, i) => {
    const f = `${field}.rollingWindows[${i}]`;
    return typeof w === 'string' ? positive(parseDurationField(w, f) / 1000, f) : positive(w, f);
  });
  return parseFeatureSpec(
    {
      columnMapping: mapping,
      continuous,
      categorical,
      lags: continuous.flatMap((column) => lags.map((lagSeconds) => ({ column, lagSeconds }))),
      rolling: continuous.flatMap((column) => windows.map((windowSeconds) => ({ column, windowSeconds, stats: [...ROLLING_STATS] }))),
    },
    field,
  );
}

function positive(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalid(field, `must be a positive number of seconds, got ${JSON.stringify(v)}`);
  return v;
}

function parseDurationField(value: string, field: string): number {
  try {
    return parseDuration(value, field);
  } catch (cause) {
    throw new NsError('NS_VALIDATION', `${field}: ${(cause as Error).message}`, { field, cause });
  }
}
