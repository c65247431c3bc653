/**
 * Gradient histograms: per leaf and feature, 256 slots (255 value bins + missing) of
 * [sum of gradients, sum of hessians, row count]. The buffers live in one `HistogramSpace` that the
 * main thread and the histogram workers (hist-pool.ts) see alike, so both run the same kernels.
 */
import { HIST_BINS } from './binning.ts';

/** Float64 cells per feature histogram. */
export const HIST_STRIDE = HIST_BINS * 3;

export interface HistogramSpace {
  readonly rows: number;
  readonly features: number;
  /** Bin codes per feature (column-major). */
  readonly bins: Uint8Array[];
  /** Gradients and hessians per row. */
  readonly g: Float64Array;
  readonly h: Float64Array;
  /** Row indices; each leaf owns a contiguous range [start, end). */
  readonly idx: Uint32Array;
  /** Gradients and hessians gathered in `idx` order for the range being built (ordered gradients). */
  readonly og: Float64Array;
  readonly oh: Float64Array;
  /** Rows per bin of every feature over all rows (features × 256): the root's counts, built once. */
  readonly rootCounts: Float64Array;
  /** `slots` leaf histograms of `features × HIST_STRIDE` cells each. */
  readonly hist: Float64Array;
  readonly slots: number;
  /** False when every hessian is 1 (squared error): the split finder then reads counts as hessian sums. */
  readonly withHess: boolean;
}

export interface SpaceBuffers {
  bins: ArrayBuffer | SharedArrayBuffer;
  g: ArrayBuffer | SharedArrayBuffer;
  h: ArrayBuffer | SharedArrayBuffer;
  idx: ArrayBuffer | SharedArrayBuffer;
  og: ArrayBuffer | SharedArrayBuffer;
  oh: ArrayBuffer | SharedArrayBuffer;
  rootCounts: ArrayBuffer | SharedArrayBuffer;
  hist: ArrayBuffer | SharedArrayBuffer;
}

export interface SpaceShape {
  rows: number;
  features: number;
  slots: number;
  withHess: boolean;
}

/** Views over buffers; the worker side rebuilds the same space from the shared buffers it was sent. */
export function spaceFromBuffers(shape: SpaceShape, b: SpaceBuffers): HistogramSpace {
  const { rows, features, slots, withHess } = shape;
  const bins: Uint8Array[] = [];
  for (let f = 0; f < features; f++) bins.push(new Uint8Array(b.bins, f * rows, rows));
  return {
    rows,
    features,
    bins,
    g: new Float64Array(b.g, 0, rows),
    h: new Float64Array(b.h, 0, rows),
    idx: new Uint32Array(b.idx, 0, rows),
    og: new Float64Array(b.og, 0, rows),
    oh: new Float64Array(b.oh, 0, rows),
    rootCounts: new Float64Array(b.rootCounts, 0, features * HIST_BINS),
    hist: new Float64Array(b.hist, 0, slots * features * HIST_STRIDE),
    slots,
    withHess,
  };
}

export function allocateBuffers(shape: SpaceShape, bins: ArrayBuffer | SharedArrayBuffer, shared: boolean): SpaceBuffers {
  const make = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const n = shape.rows;
  return {
    bins,
    g: make(n * 8),
    h: make(n * 8),
    idx: make(n * 4),
    og: make(n * 8),
    oh: make(n * 8),
    rootCounts: make(shape.features * HIST_BINS * 8),
    hist: make(shape.slots * shape.features * HIST_STRIDE * 8),
  };
}

export const histBase = (space: HistogramSpace, slot: number, feature: number): number =>
  (slot * space.features + feature) * HIST_STRIDE;

/** Fills `rootCounts` from the bins (rows per bin, per feature). */
export function countRootBins(s: HistogramSpace): void {
  const counts = s.rootCounts;
  for (let f = 0; f < s.features; f++) {
    const col = s.bins[f]!;
    const base = f * HIST_BINS;
    for (let i = 0; i < s.rows; i++) {
      const k = base + col[i]!;
      counts[k] = counts[k]! + 1;
    }
  }
}

/**
 * Histograms of the rows in [start, end) for a group of 1, 2 or 4 features (`features[from..)`):
 * one pass over the rows updates every histogram of the group, so row indices and gradients are
 * read once per group rather than once per feature. `indexed` true: rows idx[start..end-1] with the
 * ordered og/oh (gathered by the caller); false: all rows in order with g/h (the root without
 * bagging), whose counts never change and are copied from `rootCounts` instead of summed.
 */
export function buildGroup(
  s: HistogramSpace,
  features: ArrayLike<number>,
  from: number,
  size: number,
  slot: number,
  start: number,
  end: number,
  indexed: boolean,
): void {
  const hist = s.hist;
  const bases: number[] = [];
  for (let j = 0; j < size; j++) {
    const base = histBase(s, slot, features[from + j]!);
    hist.fill(0, base, base + HIST_STRIDE);
    bases.push(base);
  }
  const cols = bases.map((_, j) => s.bins[features[from + j]!]!);
  if (indexed) {
    const { og, oh, idx } = s;
    if (size === 4) group4(hist, cols[0]!, cols[1]!, cols[2]!, cols[3]!, bases[0]!, bases[1]!, bases[2]!, bases[3]!, og, oh, idx, start, end);
    else if (size === 2) group2(hist, cols[0]!, cols[1]!, bases[0]!, bases[1]!, og, oh, idx, start, end);
    else group1(hist, cols[0]!, bases[0]!, og, oh, idx, start, end);
    return;
  }
  const { g, h } = s;
  if (size === 4) root4(hist, cols[0]!, cols[1]!, cols[2]!, cols[3]!, bases[0]!, bases[1]!, bases[2]!, bases[3]!, g, h, start, end);
  else if (size === 2) root2(hist, cols[0]!, cols[1]!, bases[0]!, bases[1]!, g, h, start, end);
  else root1(hist, cols[0]!, bases[0]!, g, h, start, end);
  const counts = s.rootCounts;
  for (let j = 0; j < size; j++) {
    const c = features[from + j]! * HIST_BINS;
    const base = bases[j]!;
    for (let b = 0; b < HIST_BINS; b++) hist[base + b * 3 + 2] = counts[c + b]!;
  }
}

// The three kernels below are the hot loops of training; kept flat and monomorphic on purpose.
function group4(
  hist: Float64Array, c0: Uint8Array, c1: Uint8Array, c2: Uint8Array, c3: Uint8Array,
  b0: number, b1: number, b2: number, b3: number,
  g: Float64Array, h: Float64Array, idx: Uint32Array, start: number, end: number,
): void {
  for (let i = start; i < end; i++) {
    const r = idx[i]!;
    const gg = g[i]!;
    const hh = h[i]!;
    let k = b0 + c0[r]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh; hist[k + 2] = hist[k + 2]! + 1;
    k = b1 + c1[r]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh; hist[k + 2] = hist[k + 2]! + 1;
    k = b2 + c2[r]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh; hist[k + 2] = hist[k + 2]! + 1;
    k = b3 + c3[r]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh; hist[k + 2] = hist[k + 2]! + 1;
  }
}

function group2(
  hist: Float64Array, c0: Uint8Array, c1: Uint8Array, b0: number, b1: number,
  g: Float64Array, h: Float64Array, idx: Uint32Array, start: number, end: number,
): void {
  for (let i = start; i < end; i++) {
    const r = idx[i]!;
    const gg = g[i]!;
    const hh = h[i]!;
    let k = b0 + c0[r]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh; hist[k + 2] = hist[k + 2]! + 1;
    k = b1 + c1[r]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh; hist[k + 2] = hist[k + 2]! + 1;
  }
}

function group1(
  hist: Float64Array, c0: Uint8Array, b0: number,
  g: Float64Array, h: Float64Array, idx: Uint32Array, start: number, end: number,
): void {
  for (let i = start; i < end; i++) {
    const r = idx[i]!;
    const k = b0 + c0[r]! * 3;
    hist[k] = hist[k]! + g[i]!; hist[k + 1] = hist[k + 1]! + h[i]!; hist[k + 2] = hist[k + 2]! + 1;
  }
}

// Root kernels: rows in order, no index, no counts (they come from rootCounts).
function root4(
  hist: Float64Array, c0: Uint8Array, c1: Uint8Array, c2: Uint8Array, c3: Uint8Array,
  b0: number, b1: number, b2: number, b3: number, g: Float64Array, h: Float64Array, start: number, end: number,
): void {
  for (let i = start; i < end; i++) {
    const gg = g[i]!;
    const hh = h[i]!;
    let k = b0 + c0[i]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh;
    k = b1 + c1[i]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh;
    k = b2 + c2[i]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh;
    k = b3 + c3[i]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh;
  }
}

function root2(
  hist: Float64Array, c0: Uint8Array, c1: Uint8Array, b0: number, b1: number,
  g: Float64Array, h: Float64Array, start: number, end: number,
): void {
  for (let i = start; i < end; i++) {
    const gg = g[i]!;
    const hh = h[i]!;
    let k = b0 + c0[i]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh;
    k = b1 + c1[i]! * 3;
    hist[k] = hist[k]! + gg; hist[k + 1] = hist[k + 1]! + hh;
  }
}

function root1(hist: Float64Array, c0: Uint8Array, b0: number, g: Float64Array, h: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const k = b0 + c0[i]! * 3;
    hist[k] = hist[k]! + g[i]!; hist[k + 1] = hist[k + 1]! + h[i]!;
  }
}

/**
 * Splits `count` features into groups of 4, 2 or 1 (as [from, size] pairs) so that `threads`
 * threads claiming groups in turn end up with about the same work.
 */
export function planGroups(count: number, threads: number): number[] {
  const sizes: number[] = [];
  let left = count;
  while (left >= 4) { sizes.push(4); left -= 4; }
  if (left >= 2) { sizes.push(2); left -= 2; }
  if (left === 1) sizes.push(1);
  // Break 4s into 2s from the end while the last round leaves threads idle.
  for (let i = sizes.length - 1; i >= 0 && threads > 1 && sizes.length % threads !== 0; i--) {
    if (sizes[i] === 4) sizes.splice(i, 1, 2, 2);
  }
  const plan: number[] = [];
  let from = 0;
  for (const size of sizes) { plan.push(from, size); from += size; }
  return plan;
}

/** Copies g/h of rows idx[start..end-1] into og/oh at the same positions. */
export function gatherGradients(s: HistogramSpace, start: number, end: number): void {
  const { idx, g, h, og, oh } = s;
  for (let i = start; i < end; i++) {
    const r = idx[i]!;
    og[i] = g[r]!;
    oh[i] = h[r]!;
  }
}

/** hist[target] −= hist[source] for the given features: the sibling of a built child. */
export function subtractHistograms(
  s: HistogramSpace,
  target: number,
  source: number,
  features: Int32Array,
  count: number,
): void {
  const hist = s.hist;
  for (let j = 0; j < count; j++) {
    const f = features[j]!;
    const t = histBase(s, target, f);
    const src = histBase(s, source, f);
    for (let k = 0; k < HIST_STRIDE; k++) hist[t + k] = hist[t + k]! - hist[src + k]!;
  }
}

/** Builds histograms for a leaf's rows: serially here, or split across worker threads (hist-pool.ts). */
export interface HistogramBuilder {
  /** Histograms of `features` (grouped by `plan`, see planGroups) for the rows [start, end). */
  build(slot: number, start: number, end: number, indexed: boolean, features: Int32Array, plan: readonly number[]): void;
  close(): Promise<void>;
}

export class SerialHistogramBuilder implements HistogramBuilder {
  constructor(private readonly space: HistogramSpace) {}

  build(slot: number, start: number, end: number, indexed: boolean, features: Int32Array, plan: readonly number[]): void {
    for (let j = 0; j < plan.length; j += 2) buildGroup(this.space, features, plan[j]!, plan[j + 1]!, slot, start, end, indexed);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
