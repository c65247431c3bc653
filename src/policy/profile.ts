/**
 * A version's reference profile: each raw column the model reads (its spec's continuous, lag and
 * rolling sources as numbers, its categorical columns as strings), profiled over the rows of its
 * training window (drift.ts). Kept with the version, a few KB per column, so that drift is measured
 * against the champion's own window without reading it again.
 */
import type { FeatureSpec } from '../data/features/index.ts';
import type { RawSample, SampleColumns } from '../data/types.ts';
import { rawColumns } from '../data/features/raw-columns.ts';
import { compareCategorical, compareNumeric, datasetDrift, profileCategorical, profileNumeric, type ColumnProfile, type DatasetDrift, type DriftThresholds } from './drift.ts';

export interface ModelProfile {
  format: 'nightshift-profile';
  version: 1;
  rows: number;
  /** The training window the profile describes (epoch ms). */
  window: { since: number; until: number };
  columns: Record<string, ColumnProfile>;
}

/** Raw column values of samples: numbers (NaN = missing) or strings (null = missing). */
function numbers(samples: readonly RawSample[], column: string): Float64Array {
  const out = new Float64Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!.values[column];
    out[i] = typeof v === 'number' ? v : Number.NaN;
  }
  return out;
}

function strings(samples: readonly RawSample[], column: string): Array<string | null> {
  return samples.map((s) => {
    const v = s.values[column];
    return v === null || v === undefined ? null : String(v);
  });
}

/** The profile of sample rows (at most `maxRows` of them, evenly spaced). */
export function profileSamples(all: readonly RawSample[], spec: FeatureSpec, window: ModelProfile['window'], maxRows = Infinity): ModelProfile {
  const samples = evenly(all.length, maxRows).map((i) => all[i]!);
  const columns: Record<string, ColumnProfile> = {};
  for (const [column, kind] of rawColumns(spec)) columns[column] = kind === 'numeric' ? profileNumeric(numbers(samples, column)) : profileCategorical(strings(samples, column));
  return { format: 'nightshift-profile', version: 1, rows: samples.length, window, columns };
}

/** The profile of a columnar window's rows at or after window.since (at most `maxRows`, evenly spaced). */
export function profileColumns(w: SampleColumns, spec: FeatureSpec, window: ModelProfile['window'], maxRows = Infinity): ModelProfile {
  const inWindow: number[] = [];
  for (let i = 0; i < w.rows; i++) if (w.ts[i]! >= window.since) inWindow.push(i);
  const rows = evenly(inWindow.length, maxRows).map((k) => inWindow[k]!);
  const columns: Record<string, ColumnProfile> = {};
  for (const [column, kind] of rawColumns(spec)) {
    const f = w.features.findIndex((x) => x.name === column);
    const values = f < 0 ? null : w.columns[f]!;
    if (kind === 'numeric') columns[column] = profileNumeric(Float64Array.from(rows, (i) => (values ? values[i]! : Number.NaN)));
    else {
      const categories = w.features[f]?.categories ?? [];
      columns[column] = profileCategorical(rows.map((i) => (values && Number.isFinite(values[i]!) ? (categories[values[i]!] ?? null) : null)));
    }
  }
  return { format: 'nightshift-profile', version: 1, rows: rows.length, window, columns };
}

/** Indexes 0..n-1, at most `max` of them, evenly spaced. */
function evenly(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = n / max;
  return Array.from({ length: max }, (_, i) => Math.floor(i * step));
}

/** Recent samples against a version's profile, column by column. */
export function driftAgainst(profile: ModelProfile, samples: readonly RawSample[], t: DriftThresholds): DatasetDrift {
  const entries = Object.entries(profile.columns);
  const numeric = numericColumns(samples, entries.filter(([, ref]) => ref.kind === 'numeric').map(([column]) => column));
  const columns = entries.map(([column, ref]) =>
    ref.kind === 'numeric' ? compareNumeric(column, ref, numeric.get(column)!, t) : compareCategorical(column, ref, strings(samples, column), t),
  );
  return { ...datasetDrift(columns, t), rows: samples.length };
}

/** The numeric columns' values (NaN = missing), read in one pass over the rows: each row object is visited once. */
function numericColumns(samples: readonly RawSample[], names: readonly string[]): Map<string, Float64Array> {
  const out = names.map(() => new Float64Array(samples.length));
  for (let i = 0; i < samples.length; i++) {
    const values = samples[i]!.values;
    for (let c = 0; c < names.length; c++) {
      const v = values[names[c]!];
      out[c]![i] = typeof v === 'number' ? v : Number.NaN;
    }
  }
  return new Map(names.map((n, c) => [n, out[c]!]));
}
