/**
 * A version's reference profile: each raw column the model reads (its spec's continuous, lag and
 * rolling sources as numbers, its categorical columns as strings), profiled over the rows of its
 * training window (drift.ts). Kept with the version, a few KB per column, so that drift is measured
 * against the champion's own window without reading it again.
 */
import type { FeatureSpec } from '../data/features/index.ts';
import type { RawSample, SampleColumns } from '../data/types.ts';
import { rawColumns } from '../data/features/raw-columns.ts';
import { compareCategoricalProfile, compareNumeric, datasetDrift, profileCategorical, profileCategoricalCounts, profileNumeric, type ColumnProfile, type DatasetDrift, type DriftThresholds } from './drift.ts';

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
  // Counted first, then listed in a typed array: a 1M-row window made a million-element array before.
  let kept = 0;
  for (let i = 0; i < w.rows; i++) if (w.ts[i]! >= window.since) kept++;
  const inWindow = new Int32Array(kept);
  for (let i = 0, k = 0; i < w.rows; i++) if (w.ts[i]! >= window.since) inWindow[k++] = i;
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

/**
 * A recent window in columns (as the assessor reads it: no object per row) against a version's
 * profile, column by column, its rows from `from` on. A numeric profile column takes the numeric
 * feature's values (missing, or a categorical feature: NaN); a categorical one counts the codes of
 * a categorical feature (a numeric feature's values count as their text, as profileSamples reads them).
 */
export function driftAgainstColumns(profile: ModelProfile, w: SampleColumns, t: DriftThresholds, from = 0): DatasetDrift {
  const start = Math.min(Math.max(0, from), w.rows);
  const rows = w.rows - start;
  const columns = Object.entries(profile.columns).map(([column, ref]) => {
    const f = w.features.findIndex((x) => x.name === column);
    const feature = f < 0 ? null : w.features[f]!;
    const values = feature ? w.columns[f]!.subarray(start, w.rows) : null;
    if (ref.kind === 'numeric') return compareNumeric(column, ref, values && feature!.type !== 'categorical' ? values : new Float64Array(rows).fill(Number.NaN), t);
    return compareCategoricalProfile(column, ref, profileCategoricalCounts(values ? countsOf(values, feature!.type === 'categorical' ? feature!.categories ?? [] : null) : new Map(), rows), t);
  });
  return { ...datasetDrift(columns, t), rows };
}

/** Values per category: codes counted in an array first (one string per category, not per value); `categories` null: the values' text. */
function countsOf(values: Float64Array, categories: readonly string[] | null): Map<string, number> {
  const counts = new Map<string, number>();
  if (categories === null) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) continue;
      const k = String(v);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    return counts;
  }
  const byCode = new Float64Array(categories.length);
  for (let i = 0; i < values.length; i++) {
    const code = values[i]!;
    if (code >= 0 && code < byCode.length) byCode[code]!++;
  }
  for (let c = 0; c < categories.length; c++) if (byCode[c]! > 0) counts.set(categories[c]!, (counts.get(categories[c]!) ?? 0) + byCode[c]!);
  return counts;
}
