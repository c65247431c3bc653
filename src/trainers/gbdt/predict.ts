/**
 * Fast raw scores over a column-major Matrix: trees are compiled once into typed arrays and walked
 * tree by tree (the tree stays in cache while the rows stream past).
 */
import { NsError } from '../../errors.ts';
import type { GbdtBody, GbdtTree, Matrix } from '../types.ts';
import { MISSING_BIN } from './binning.ts';
import { sigmoid } from './objective.ts';

export interface CompiledTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly missingLeft: Uint8Array;
  readonly value: Float64Array;
}

export function compileTree(t: GbdtTree): CompiledTree {
  return {
    feature: Int32Array.from(t.feature),
    threshold: Float64Array.from(t.threshold),
    left: Int32Array.from(t.left),
    right: Int32Array.from(t.right),
    missingLeft: Uint8Array.from(t.missingLeft, (b) => (b ? 1 : 0)),
    value: Float64Array.from(t.value),
  };
}

export function checkMatrix(X: Matrix, features: number, field = 'X'): void {
  if (X.columns.length !== features) {
    throw new NsError('NS_VALIDATION', `${field}: the model has ${features} features, the rows have ${X.columns.length}`, { field });
  }
  for (let f = 0; f < features; f++) {
    if (X.columns[f]!.length < X.rows) {
      throw new NsError('NS_VALIDATION', `${field}: column ${f} has ${X.columns[f]!.length} values for ${X.rows} rows`, { field });
    }
  }
}

/** out[i] += tree(row i) for every row of X. */
export function addTreeRaw(t: CompiledTree, X: Matrix, out: Float64Array): void {
  const { feature, threshold, left, right, missingLeft, value } = t;
  const cols = X.columns;
  if (feature[0]! < 0) {
    const v = value[0]!;
    for (let i = 0; i < X.rows; i++) out[i] = out[i]! + v;
    return;
  }
  for (let i = 0; i < X.rows; i++) {
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const x = cols[f]![i]!;
      if (x <= threshold[node]!) node = left[node]!;
      else if (x !== x) node = missingLeft[node] === 1 ? left[node]! : right[node]!;
      else node = right[node]!;
      f = feature[node]!;
    }
    out[i] = out[i]! + value[node]!;
  }
}

/** Same walk on binned rows (`splitBin` per node), for rows a bagged tree was not grown on. */
export function addTreeBinned(
  t: CompiledTree,
  splitBin: readonly number[],
  bins: readonly Uint8Array[],
  rows: Uint32Array | null,
  count: number,
  out: Float64Array,
): void {
  const { feature, left, right, missingLeft, value } = t;
  const sb = Int32Array.from(splitBin);
  for (let j = 0; j < count; j++) {
    const i = rows === null ? j : rows[j]!;
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      const b = bins[f]![i]!;
      if (b === MISSING_BIN) node = missingLeft[node] === 1 ? left[node]! : right[node]!;
      else node = b <= sb[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    out[i] = out[i]! + value[node]!;
  }
}

/**
 * Per node of `t`, the bin whose upper edge is its threshold (rows with bin <= it go left, exactly
 * as values <= the threshold do; binning.ts), −1 for leaves; null when a threshold is not an inner
 * edge of its feature (a tree grown on other bins), so binned rows cannot stand in for raw ones.
 */
export function splitBinsOf(t: GbdtTree, binEdges: readonly (readonly number[])[]): number[] | null {
  const out: number[] = [];
  for (let node = 0; node < t.feature.length; node++) {
    const f = t.feature[node]!;
    if (f < 0) {
      out.push(-1);
      continue;
    }
    const edges = binEdges[f];
    if (edges === undefined) return null;
    const threshold = t.threshold[node]!;
    let lo = 0;
    let hi = edges.length - 1; // the last edge (the maximum) is never a split threshold
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! < threshold) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= edges.length - 1 || edges[lo] !== threshold) return null;
    out.push(lo);
  }
  return out;
}

/** Raw scores (log-odds for binary_logloss) of every row. */
export function predictRaw(body: GbdtBody, X: Matrix, compiled?: readonly CompiledTree[]): Float64Array {
  checkMatrix(X, body.binEdges.length);
  const out = new Float64Array(X.rows).fill(body.baseScore);
  for (const t of compiled ?? body.trees.map(compileTree)) addTreeRaw(t, X, out);
  return out;
}

/** Probabilities (binary) or values (regression), transforming raw scores in place. */
export function toPrediction(body: GbdtBody, raw: Float64Array): Float64Array {
  if (body.objective === 'binary_logloss') for (let i = 0; i < raw.length; i++) raw[i] = sigmoid(raw[i]!);
  return raw;
}
