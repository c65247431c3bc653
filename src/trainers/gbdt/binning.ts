/**
 * Quantile binning: each feature's values map to at most 255 bins (one byte per cell), bin 255 holds
 * missing values. Bin b covers (edges[b-1], edges[b]], the last bin everything above, so a split
 * "bin <= b" is exactly "value <= edges[b]" on raw inputs: trees use the edges as thresholds and
 * predict identically on raw and binned rows.
 */
import type { Matrix } from '../types.ts';
import { rng, STREAM } from '../random.ts';

export const MISSING_BIN = 255;
/** Histogram slots per feature: 255 value bins + the missing bin. */
export const HIST_BINS = 256;

export interface BinnedData {
  readonly rows: number;
  /** One Uint8Array of bin codes per feature, views into `buffer` (column-major). */
  readonly columns: Uint8Array[];
  /** Per feature: its number of value bins (a feature with fewer than 2 is never split). */
  readonly numBins: number[];
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/**
 * A threshold t with a <= t < b, preferring the midpoint rounded to float32 when that keeps the same
 * order for float32 inputs too (ONNX tree ensembles compare in float32).
 */
function threshold(a: number, b: number): number {
  let mid = a + (b - a) / 2;
  if (!(mid >= a && mid < b)) mid = a;
  const t = Math.fround(mid);
  if (t >= a && t < b && Math.fround(a) <= t && Math.fround(b) > t) return t;
  return mid;
}

/** Upper bin edges of one column: ≤ maxBins values, strictly increasing, the last one the max. */
export function computeBinEdges(column: Float64Array, maxBins: number, sample: Uint32Array | null): number[] {
  const m = sample === null ? column.length : sample.length;
  const sorted = new Float64Array(m);
  let count = 0;
  for (let i = 0; i < m; i++) {
    const v = sample === null ? column[i]! : column[sample[i]!]!;
    if (Number.isFinite(v)) sorted[count++] = v; // NaN is missing; ±Infinity bins to the ends
  }
  const s = sorted.subarray(0, count).sort();
  if (count === 0) return [];
  const distinct: number[] = [s[0]!];
  for (let i = 1; i < count; i++) if (s[i]! !== distinct[distinct.length - 1]) distinct.push(s[i]!);
  const last = distinct.length - 1;
  const edges: number[] = [];
  if (distinct.length <= maxBins) {
    for (let j = 0; j < last; j++) edges.push(threshold(distinct[j]!, distinct[j + 1]!));
  } else {
    let prev = -1;
    for (let i = 1; i < maxBins; i++) {
      const rank = Math.round((i * count) / maxBins);
      const a = s[Math.max(0, rank - 1)]!;
      const j = lowerBound(distinct, a);
      if (j <= prev || j >= last) continue;
      edges.push(threshold(distinct[j]!, distinct[j + 1]!));
      prev = j;
    }
  }
  edges.push(distinct[last]!);
  return edges;
}

function lowerBound(values: readonly number[], v: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Rows used to compute edges: all of them, or `limit` drawn without replacement (seeded). */
export function binSampleRows(rows: number, limit: number, seed: number): Uint32Array | null {
  if (rows <= limit) return null;
  const idx = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) idx[i] = i;
  const random = rng(seed, STREAM.binSample);
  for (let i = 0; i < limit; i++) {
    const j = i + Math.floor(random() * (rows - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.subarray(0, limit).sort();
}

export function computeAllBinEdges(X: Matrix, maxBins: number, sampleLimit: number, seed: number): number[][] {
  const sample = binSampleRows(X.rows, sampleLimit, seed);
  return X.columns.map((col) => computeBinEdges(col.subarray(0, X.rows), maxBins, sample));
}

/**
 * Bin codes of `rows` values; NaN → MISSING_BIN, above the last inner edge → the last bin. A fixed
 * 8-step search over the inner edges padded to 256 with +Infinity, written without branches on
 * the comparisons (4× faster than a classic binary search on random data).
 */
export function binColumn(column: Float64Array, edges: readonly number[], out: Uint8Array, rows: number): void {
  const t = new Float64Array(256).fill(Infinity);
  for (let i = 0; i < edges.length - 1; i++) t[i] = edges[i]!;
  const top = Math.max(0, edges.length - 1);
  for (let i = 0; i < rows; i++) {
    const v = column[i]!;
    if (v !== v) {
      out[i] = MISSING_BIN;
      continue;
    }
    let lo = 0;
    lo += +(v > t[lo + 127]!) << 7;
    lo += +(v > t[lo + 63]!) << 6;
    lo += +(v > t[lo + 31]!) << 5;
    lo += +(v > t[lo + 15]!) << 4;
    lo += +(v > t[lo + 7]!) << 3;
    lo += +(v > t[lo + 3]!) << 2;
    lo += +(v > t[lo + 1]!) << 1;
    lo += +(v > t[lo]!);
    out[i] = lo < top ? lo : top;
  }
}

/** Bins every column into one buffer (a SharedArrayBuffer when worker threads will read it). */
export function binMatrix(X: Matrix, edges: readonly (readonly number[])[], shared: boolean): BinnedData {
  const n = X.rows;
  const d = X.columns.length;
  const buffer = shared ? new SharedArrayBuffer(n * d) : new ArrayBuffer(n * d);
  const columns: Uint8Array[] = [];
  for (let f = 0; f < d; f++) {
    const out = new Uint8Array(buffer, f * n, n);
    binColumn(X.columns[f]!, edges[f]!, out, n);
    columns.push(out);
  }
  return { rows: n, columns, numBins: edges.map((e) => e.length), buffer };
}
