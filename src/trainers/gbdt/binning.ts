/**
 * Quantile binning: each feature's values map to at most 255 bins (one byte per cell), bin 255 holds
 * missing values. Bin b covers (edges[b-1], edges[b]], the last bin everything above, so a split
 * "bin <= b" is exactly "value <= edges[b]" on raw inputs: trees use the edges as thresholds and
 * predict identically on raw and binned rows. The units of the thread team's binning tasks
 * (binEdgesOf, binStagedColumn; bin-matrix.ts) are here too.
 */
import type { Matrix } from '../types.ts';
import { rng, STREAM } from '../random.ts';
import { HIST_BINS, MISSING_BIN } from './bin-codes.ts';
import { instantiateKernels, kernelModule } from './kernels.ts';
import type { Workspace } from './workspace.ts';

export { HIST_BINS, MISSING_BIN } from './bin-codes.ts';

export interface BinnedData {
  readonly rows: number;
  /** One Uint8Array of bin codes per feature. */
  readonly columns: Uint8Array[];
  /** Per feature: its number of value bins (a feature with fewer than 2 is never split). */
  readonly numBins: number[];
}

/**
 * The threshold between adjacent distinct values a < b, chosen so that every value routes the same
 * way in double precision (our model: x <= T) and in float32 (an ONNX tree ensemble, which casts
 * its input to float32 and compares with fround(T)): T is the largest double that rounds to the
 * float32 t nearest the midpoint (kept within [fround(a), fround(b)) so a goes left and b right).
 * Then x <= T exactly when fround(x) <= t, for every x, not only the sampled a and b. When a and b
 * round to the same float32 no float32 threshold separates them; the plain midpoint is used.
 */
export function threshold(a: number, b: number): number {
  const fa = Math.fround(a);
  const fb = Math.fround(b);
  if (fa < fb && Number.isFinite(fa) && Number.isFinite(fb)) {
    let t = Math.fround(a + (b - a) / 2);
    if (t < fa) t = fa;
    if (t >= fb) t = float32Below(fb);
    return roundsDownTo(t);
  }
  const mid = a + (b - a) / 2;
  return mid >= a && mid < b ? mid : a;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The float32 just below a finite float32 f. */
function float32Below(f: number): number {
  f32[0] = f;
  if (f === 0) i32[0] = -2147483647; // -0 and +0: the largest negative subnormal
  else i32[0] = f > 0 ? i32[0]! - 1 : i32[0]! + 1;
  return f32[0]!;
}

/** The float32 just above a finite float32 f. */
function float32Above(f: number): number {
  f32[0] = f;
  if (f === 0) i32[0] = 1;
  else i32[0] = f > 0 ? i32[0]! + 1 : i32[0]! - 1;
  return f32[0]!;
}

/** The largest double x with fround(x) <= t (t a finite float32): the rounding boundary above t. */
function roundsDownTo(t: number): number {
  const next = float32Above(t);
  if (!Number.isFinite(next)) return t;
  const mid = t + (next - t) / 2; // exact in double
  if (Math.fround(mid) <= t) return mid; // a tie rounds to t (t's mantissa is even)
  f64[0] = mid; // the double just below mid
  i64[0] = mid > 0 ? i64[0]! - 1n : i64[0]! + 1n;
  return f64[0]!;
}

/**
 * Buffers for computing the edges of columns of up to `size` sampled values, reused across columns:
 * the values are sorted in WebAssembly (kernels-trees.ts radixSort) in a memory of their own.
 */
export interface EdgeScratch {
  /** Where a column's finite values go before sorting (the first `count` of them are sorted by `sort`). */
  readonly values: Float64Array;
  readonly distinct: Float64Array;
  /** Sorts values[0, count) ascending; returns the sorted values (a view, valid until the next sort). */
  sort(count: number): Float64Array;
}

/** Below this many values a typed array's own sort is as fast. */
const WASM_SORT_MIN = 1024;

export function edgeScratch(size: number): EdgeScratch {
  const bytes = 16 * size + 4 * 65_536;
  const pages = Math.max(1, Math.ceil(bytes / 65_536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const k = instantiateKernels(kernelModule(), memory);
  const values = new Float64Array(memory.buffer, 0, size);
  const tmp = new Float64Array(memory.buffer, 8 * size, size);
  return {
    values,
    distinct: new Float64Array(size),
    sort(count) {
      if (count < WASM_SORT_MIN) return values.subarray(0, count).sort();
      return (k.radixSort(0, 8 * size, 16 * size, count) === 1 ? tmp : values).subarray(0, count);
    },
  };
}

/** Upper bin edges of one column: ≤ maxBins values, strictly increasing, the last one the max. */
export function computeBinEdges(
  column: Float64Array,
  maxBins: number,
  sample: Uint32Array | null,
  scratch: EdgeScratch = edgeScratch(sample === null ? column.length : sample.length),
): number[] {
  const m = sample === null ? column.length : sample.length;
  const sorted = scratch.values;
  let count = 0;
  for (let i = 0; i < m; i++) {
    const v = sample === null ? column[i]! : column[sample[i]!]!;
    if (Number.isFinite(v)) sorted[count++] = v; // NaN is missing; ±Infinity bins to the ends
  }
  if (count === 0) return [];
  const s = scratch.sort(count);
  const distinct = scratch.distinct;
  let k = 0;
  distinct[k++] = s[0]!;
  for (let i = 1; i < count; i++) if (s[i]! !== distinct[k - 1]) distinct[k++] = s[i]!;
  const last = k - 1;
  const edges: number[] = [];
  if (k <= maxBins) {
    for (let j = 0; j < last; j++) edges.push(threshold(distinct[j]!, distinct[j + 1]!));
  } else {
    let prev = -1;
    for (let i = 1; i < maxBins; i++) {
      const rank = Math.round((i * count) / maxBins);
      const a = s[Math.max(0, rank - 1)]!;
      const j = lowerBound(distinct, k, a);
      if (j <= prev || j >= last) continue;
      edges.push(threshold(distinct[j]!, distinct[j + 1]!));
      prev = j;
    }
  }
  edges.push(distinct[last]!);
  return edges;
}

/** First index in values[0, length) whose value is ≥ v. */
function lowerBound(values: Float64Array, length: number, v: number): number {
  let lo = 0;
  let hi = length;
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
  // The chosen rows in ascending order (a typed-array sort of them is several times slower).
  const chosen = new Uint8Array(rows);
  for (let i = 0; i < limit; i++) chosen[idx[i]!] = 1;
  const out = new Uint32Array(limit);
  for (let r = 0, k = 0; r < rows; r++) if (chosen[r] === 1) out[k++] = r;
  return out;
}

/** Feature f's inner bin edges, padded to 256 with +Infinity, into its table (tables: 256 float64 per feature; kernels-trees.ts binValues). */
export function writeBinTable(tables: Float64Array, f: number, edges: ArrayLike<number>): void {
  const table = tables.subarray(f * HIST_BINS, (f + 1) * HIST_BINS);
  table.fill(Infinity);
  for (let i = 0; i < edges.length - 1; i++) table[i] = edges[i]!;
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

/** Feature f's edges from its sampled values (a unit of the team's EDGES task): into ws.edges, ws.numBins and its bin table. */
export function binEdgesOf(ws: Workspace, f: number, values: Float64Array, maxBins: number, scratch: EdgeScratch): void {
  const edges = computeBinEdges(values, maxBins, null, scratch);
  ws.edges.set(edges, f * HIST_BINS);
  ws.numBins[f] = edges.length;
  writeBinTable(ws.tables, f, edges);
}

/** Feature f's bin codes from its column staged at byte address `column` (a unit of the team's BIN task). */
export function binStagedColumn(ws: Workspace, f: number, column: number): void {
  const top = Math.max(0, ws.numBins[f]! - 1);
  ws.kernels.binValues(column, ws.at.tables + f * HIST_BINS * 8, ws.at.bins + f * ws.rows, ws.rows, top, 1);
}
