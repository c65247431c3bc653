/**
 * Data drift per column between a reference (the champion's training window, kept as a compact
 * profile with its version) and recent data:
 *
 *  - PSI on bins taken from the reference's quantiles (numeric) or on its categories (categorical;
 *    categories the reference never saw share one bucket): Σ (c − r) · ln(c / r), empty bins
 *    smoothed to EPSILON. Alarm at `psi` (0.2 by default, the usual "significant shift").
 *  - Kolmogorov–Smirnov on numeric columns: D = the largest gap between the two CDFs, read on the
 *    reference's grid of 256 quantiles (D is exact at the grid points, within 1/256 between them),
 *    with its asymptotic p-value. A column drifts on KS only when p < `ksAlpha` AND D ≥ `ksMinEffect`:
 *    at large n a tiny, harmless difference is "significant" (Evidently issue #50), so the effect
 *    size must matter too.
 *  - Dataset drift when the share of drifted columns reaches `share` (0.5).
 *
 * Missing values are a bin of their own in PSI and are left out of KS.
 */

export const DRIFT_DEFAULTS = Object.freeze({ psi: 0.2, ksAlpha: 0.05, ksMinEffect: 0.1, share: 0.5, minRows: 100 });
export const PSI_BINS = 10;
export const KS_GRID = 256;
const EPSILON = 1e-4;

export interface DriftThresholds {
  psi: number;
  ksAlpha: number;
  ksMinEffect: number;
  share: number;
  /** Fewer recent rows than this: drift is not evaluated (too little to tell). */
  minRows: number;
}

export interface NumericProfile {
  kind: 'numeric';
  count: number;
  /** Inner PSI bin edges (a value v falls in the first bin whose edge is ≥ v; past the last: the last bin). */
  edges: number[];
  /** Share of the non-missing values in each of edges.length + 1 bins. */
  shares: number[];
  missing: number;
  /** Sorted distinct quantile points and the reference's CDF at each. */
  grid: number[];
  cdf: number[];
}

export interface CategoricalProfile {
  kind: 'categorical';
  count: number;
  /** Share of each category among the non-missing values. */
  shares: Record<string, number>;
  missing: number;
}

export type ColumnProfile = NumericProfile | CategoricalProfile;

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  rows: number;
  psi: number;
  ks: { d: number; pValue: number } | null;
  /** Categories the reference never saw, with their share of the recent values. */
  newCategories?: Array<{ value: string; share: number }>;
  drifted: boolean;
  /** Which tests fired. */
  by: Array<'psi' | 'ks'>;
}

export interface DatasetDrift {
  columns: ColumnDrift[];
  drifted: boolean;
  driftedShare: number;
  rows: number;
}

/** A numeric column's profile (NaN = missing). */
export function profileNumeric(values: ArrayLike<number>): NumericProfile {
  const present = presentSorted(values);
  const n = present.length;
  const missing = values.length === 0 ? 0 : (values.length - n) / values.length;
  if (n === 0) return { kind: 'numeric', count: values.length, edges: [], shares: [1], missing, grid: [], cdf: [] };
  const edges = distinct(Array.from({ length: PSI_BINS - 1 }, (_, i) => present[Math.min(n - 1, Math.floor(((i + 1) * n) / PSI_BINS))]!));
  const grid = distinct(Array.from({ length: KS_GRID }, (_, i) => present[Math.min(n - 1, Math.floor(((i + 0.5) * n) / KS_GRID))]!));
  return { kind: 'numeric', count: values.length, edges, shares: binShares(present, edges), missing, grid, cdf: grid.map((g) => upperBound(present, g) / n) };
}

/** A categorical column's profile (null = missing). */
export function profileCategorical(values: ReadonlyArray<string | null>): CategoricalProfile {
  const counts = new Map<string, number>();
  let present = 0;
  for (const v of values) {
    if (v === null) continue;
    present++;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const shares: Record<string, number> = {};
  for (const [k, c] of counts) shares[k] = c / present;
  return { kind: 'categorical', count: values.length, shares, missing: values.length === 0 ? 0 : (values.length - present) / values.length };
}

export function compareNumeric(column: string, ref: NumericProfile, values: ArrayLike<number>, t: DriftThresholds): ColumnDrift {
  const c = countAgainst(ref, values);
  const missing = values.length === 0 ? 0 : (values.length - c.present) / values.length;
  const refBins = withMissing(ref.shares, ref.missing);
  const curBins = c.present === 0 ? [...refBins.map(() => 0).slice(0, -1), 1] : withMissing(Array.from(c.bins, (b) => b / c.present), missing);
  const psi = psiOf(refBins, curBins);
  const ks = c.present > 0 && ref.grid.length > 0 ? ksAgainst(ref, c.grid, c.present) : null;
  const by: ColumnDrift['by'] = [];
  if (psi >= t.psi) by.push('psi');
  if (ks && ks.pValue < t.ksAlpha && ks.d >= t.ksMinEffect) by.push('ks');
  return { column, kind: 'numeric', rows: values.length, psi, ks, drifted: by.length > 0, by };
}

/**
 * One pass over the recent values, no sorted copy: how many fall in each PSI bin and in each cell
 * of the KS grid (cell k: grid[k-1] < v ≤ grid[k]; the last cell is past the grid). A value's
 * cell is found through a table of uniform buckets over the grid's range, then a step or two:
 * about 10× faster than sorting a million values. Its PSI bin follows from its cell when no edge
 * falls inside the cell (all but the few cells an edge splits), so only values in those cells
 * count the ≤ 9 edges below them.
 */
function countAgainst(ref: NumericProfile, values: ArrayLike<number>): { present: number; bins: Float64Array; grid: Float64Array } {
  const edges = Float64Array.from(ref.edges);
  const cellOf = gridIndex(ref.grid);
  const binOfCell = cellBins(ref.grid, edges);
  const bins = new Float64Array(edges.length + 1);
  const cells = new Float64Array(ref.grid.length + 1);
  let present = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    present++;
    const cell = cellOf(v);
    cells[cell]!++;
    if (binOfCell[cell]! >= 0) continue;
    let bin = 0;
    for (let e = 0; e < edges.length; e++) if (edges[e]! < v) bin++;
    bins[bin]!++;
  }
  for (let k = 0; k < cells.length; k++) if (binOfCell[k]! >= 0) bins[binOfCell[k]!]! += cells[k]!;
  return { present, bins, grid: cells };
}

/**
 * Each grid cell's PSI bin (the number of edges below its values), or -1 when an edge lies strictly
 * inside the cell, so that its values fall in different bins. Cell k holds grid[k-1] < v ≤ grid[k].
 */
function cellBins(grid: readonly number[], edges: Float64Array): Int32Array {
  const out = new Int32Array(grid.length + 1);
  for (let k = 0; k <= grid.length; k++) {
    const lo = k === 0 ? Number.NEGATIVE_INFINITY : grid[k - 1]!;
    const hi = k === grid.length ? Number.POSITIVE_INFINITY : grid[k]!;
    let below = 0;
    let inside = false;
    for (let e = 0; e < edges.length; e++) {
      if (edges[e]! <= lo) below++;
      else if (edges[e]! < hi) inside = true;
    }
    out[k] = inside ? -1 : below;
  }
  return out;
}

const GRID_BUCKETS = 4096;

/** v → the number of grid points below v (exact), through a bucket table over [grid[0], grid[last]]. */
function gridIndex(points: readonly number[]): (v: number) => number {
  const grid = Float64Array.from(points);
  const n = grid.length;
  if (n === 0) return () => 0;
  const lo = grid[0]!;
  const hi = grid[n - 1]!;
  const scale = hi > lo ? GRID_BUCKETS / (hi - lo) : 0;
  const start = new Int32Array(GRID_BUCKETS + 1);
  for (let b = 0; b <= GRID_BUCKETS; b++) start[b] = lowerBound(grid, scale === 0 ? lo : lo + b / scale);
  return (v) => {
    if (v <= lo) return 0;
    if (v > hi) return n;
    let k = start[Math.min(GRID_BUCKETS, Math.floor((v - lo) * scale))]!;
    // Exact whatever the rounding of the bucket's edge: step to the first grid point ≥ v.
    while (k > 0 && grid[k - 1]! >= v) k--;
    while (k < n && grid[k]! < v) k++;
    return k;
  };
}

export function compareCategorical(column: string, ref: CategoricalProfile, values: ReadonlyArray<string | null>, t: DriftThresholds): ColumnDrift {
  return compareCategoricalProfile(column, ref, profileCategorical(values), t);
}

/** A categorical column's profile from its counts per category (`count`: every value, missing ones included). */
export function profileCategoricalCounts(counts: ReadonlyMap<string, number>, count: number): CategoricalProfile {
  let present = 0;
  for (const c of counts.values()) present += c;
  const shares: Record<string, number> = {};
  for (const [k, c] of counts) if (c > 0) shares[k] = c / present;
  return { kind: 'categorical', count, shares, missing: count === 0 ? 0 : (count - present) / count };
}

/** compareCategorical on the recent values' profile (their counts), for callers that count them without a string per value. */
export function compareCategoricalProfile(column: string, ref: CategoricalProfile, cur: CategoricalProfile, t: DriftThresholds): ColumnDrift {
  const known = Object.keys(ref.shares);
  const newCategories = Object.entries(cur.shares)
    .filter(([k]) => !(k in ref.shares))
    .map(([value, share]) => ({ value, share }))
    .sort((a, b) => b.share - a.share);
  const scale = (p: CategoricalProfile, k: string) => (p.shares[k] ?? 0) * (1 - p.missing);
  const refBins = [...known.map((k) => scale(ref, k)), 0, ref.missing];
  const curBins = [...known.map((k) => scale(cur, k)), newCategories.reduce((s, c) => s + c.share, 0) * (1 - cur.missing), cur.missing];
  const psi = psiOf(refBins, curBins);
  const by: ColumnDrift['by'] = psi >= t.psi ? ['psi'] : [];
  return { column, kind: 'categorical', rows: cur.count, psi, ks: null, newCategories: newCategories.slice(0, 20), drifted: by.length > 0, by };
}

export function datasetDrift(columns: ColumnDrift[], t: Pick<DriftThresholds, 'share'>): DatasetDrift {
  const drifted = columns.filter((c) => c.drifted).length;
  const share = columns.length === 0 ? 0 : drifted / columns.length;
  return { columns, drifted: columns.length > 0 && share >= t.share, driftedShare: share, rows: columns[0]?.rows ?? 0 };
}

/** PSI of two distributions over the same bins (each summing to 1). */
export function psiOf(ref: readonly number[], cur: readonly number[]): number {
  let psi = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.max(ref[i]!, EPSILON);
    const c = Math.max(cur[i] ?? 0, EPSILON);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** D read at the reference's grid (the recent CDF from the counts per grid cell), and its p-value. */
function ksAgainst(ref: NumericProfile, cells: Float64Array, n: number): { d: number; pValue: number } {
  let d = 0;
  let atOrBelow = 0;
  for (let i = 0; i < ref.grid.length; i++) {
    atOrBelow += cells[i]!;
    const gap = Math.abs(atOrBelow / n - ref.cdf[i]!);
    if (gap > d) d = gap;
  }
  const m = ref.count * (1 - ref.missing);
  const effective = (n * m) / (n + m);
  return { d, pValue: kolmogorovPValue(d, effective) };
}

/** P(D > d) for the two-sample statistic, from the Kolmogorov distribution (with Stephens' correction). */
export function kolmogorovPValue(d: number, effectiveN: number): number {
  if (d <= 0) return 1;
  const sqrtN = Math.sqrt(effectiveN);
  const lambda = (sqrtN + 0.12 + 0.11 / sqrtN) * d;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

function presentSorted(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) out[k++] = values[i]!;
  return out.sort();
}

function binShares(sorted: Float64Array, edges: readonly number[]): number[] {
  const shares: number[] = [];
  let from = 0;
  for (const edge of edges) {
    const to = upperBound(sorted, edge);
    shares.push((to - from) / sorted.length);
    from = to;
  }
  shares.push((sorted.length - from) / sorted.length);
  return shares;
}

/** Bins scaled to the present share, then the missing bin. */
const withMissing = (shares: readonly number[], missing: number): number[] => [...shares.map((s) => s * (1 - missing)), missing];

/** Number of values < x in a sorted array (the index of x's bin or grid cell). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of values ≤ x in a sorted array. */
function upperBound(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function distinct(sortedValues: number[]): number[] {
  return sortedValues.filter((v, i) => i === 0 || v !== sortedValues[i - 1]);
}
