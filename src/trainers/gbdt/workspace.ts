/**
 * The training workspace: every per-row array of a training run in one shared WebAssembly memory,
 * so the kernels (kernels.ts) and all threads of the team (thread-team.ts) work on the same bytes.
 * Layout (byte offsets in `at`, each 16-aligned):
 *
 *   bins     rows × features bin codes, column-major (feature f at f · rows)
 *   gh       [g, h] float64 pair per row
 *   ogh      pairs gathered in `idx` order for the leaf being built (ordered gradients)
 *   idx      row ids; each leaf owns a contiguous range [start, end)
 *   scratch  the partition's staging area, same size as idx
 *   raw, y   raw scores and labels per row
 *   ex       e^−raw per row (binary log-loss), kept up to date by the score update
 *   hist     `slots` leaf histograms of features × 256 cells [Σg, Σh, count]
 *   counts   rows per bin over all rows (features × 256): the root's counts, built once
 *   leaves   [start, end, value] per leaf of the tree just grown, for the score update
 *   sums     [Σg, Σh] of the root (kernels.ts sumPairs)
 *   table    one feature's inner bin edges while binning (kernels.ts binValues)
 *   tree     one tree's nodes for walking it over the bins (kernels.ts walkBinned)
 */
import { NsError } from '../../errors.ts';
import { HIST_BINS } from './binning.ts';
import { instantiateKernels, TREE_NODE_BYTES, type Kernels } from './kernels.ts';

/** Float64 cells per feature histogram. */
export const HIST_STRIDE = HIST_BINS * 3;

export interface WorkspaceShape {
  rows: number;
  features: number;
  /** Histogram slots (leaves whose histograms are kept at once). */
  slots: number;
  /** Largest number of leaves of one tree. */
  leaves: number;
  /** Largest number of nodes of a tree to walk over the bins (an initial model's). */
  treeNodes: number;
  /** False when every hessian is 1 (squared error): the split finder then reads counts as hessian sums. */
  withHess: boolean;
}

export interface WorkspaceLayout {
  bins: number;
  gh: number;
  ogh: number;
  idx: number;
  scratch: number;
  raw: number;
  y: number;
  ex: number;
  hist: number;
  counts: number;
  leaves: number;
  sums: number;
  table: number;
  tree: number;
  bytes: number;
}

export interface Workspace extends WorkspaceShape {
  readonly memory: WebAssembly.Memory;
  /** The kernel module (kernels.ts) the views' `kernels` are an instance of. */
  readonly module: WebAssembly.Module;
  readonly at: Readonly<WorkspaceLayout>;
  readonly kernels: Kernels;
  /** Views: bin codes per feature, and the arrays of the layout above. */
  readonly bins: Uint8Array[];
  readonly gh: Float64Array;
  readonly ogh: Float64Array;
  readonly idx: Uint32Array;
  readonly scratch: Uint32Array;
  readonly raw: Float64Array;
  readonly y: Float64Array;
  readonly ex: Float64Array;
  readonly hist: Float64Array;
  readonly counts: Float64Array;
  readonly leafTable: Float64Array;
  readonly sums: Float64Array;
}

const PAGE_BYTES = 65_536;
/** 32-bit WebAssembly memory: 4 GiB, less one page kept free. */
const MAX_BYTES = 65_535 * PAGE_BYTES;

export function layoutOf(shape: WorkspaceShape): WorkspaceLayout {
  const { rows: n, features: d } = shape;
  let offset = 0;
  const take = (bytes: number) => {
    const start = offset;
    offset += Math.ceil(bytes / 16) * 16;
    return start;
  };
  const at = {
    bins: take(n * d),
    gh: take(16 * n),
    ogh: take(16 * n),
    idx: take(4 * n),
    scratch: take(4 * n),
    raw: take(8 * n),
    y: take(8 * n),
    ex: take(8 * n),
    hist: take(shape.slots * d * HIST_STRIDE * 8),
    counts: take(d * HIST_BINS * 8),
    leaves: take(3 * shape.leaves * 8),
    sums: take(16),
    table: take(256 * 8),
    tree: take(shape.treeNodes * TREE_NODE_BYTES),
    bytes: 0,
  };
  at.bytes = offset;
  return at;
}

/** A new zeroed shared memory for `shape`; NS_VALIDATION when the data set does not fit in 4 GiB. */
export function allocateMemory(shape: WorkspaceShape): WebAssembly.Memory {
  const bytes = layoutOf(shape).bytes;
  if (bytes > MAX_BYTES) {
    throw new NsError('NS_VALIDATION', `set: ${shape.rows} rows × ${shape.features} features need ${Math.ceil(bytes / 2 ** 20)} MiB of GBDT workspace; the limit is 4 GiB (about rows × (features + 64) bytes)`, { field: 'set' });
  }
  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/** Views and kernels over `memory`; every thread of a team builds its own from the same memory. */
export function openWorkspace(shape: WorkspaceShape, memory: WebAssembly.Memory, module: WebAssembly.Module): Workspace {
  const at = layoutOf(shape);
  const buffer = memory.buffer;
  const { rows: n, features: d } = shape;
  const bins: Uint8Array[] = [];
  for (let f = 0; f < d; f++) bins.push(new Uint8Array(buffer, at.bins + f * n, n));
  return {
    ...shape,
    memory,
    module,
    at,
    kernels: instantiateKernels(module, memory),
    bins,
    gh: new Float64Array(buffer, at.gh, 2 * n),
    ogh: new Float64Array(buffer, at.ogh, 2 * n),
    idx: new Uint32Array(buffer, at.idx, n),
    scratch: new Uint32Array(buffer, at.scratch, n),
    raw: new Float64Array(buffer, at.raw, n),
    y: new Float64Array(buffer, at.y, n),
    ex: new Float64Array(buffer, at.ex, n),
    hist: new Float64Array(buffer, at.hist, shape.slots * d * HIST_STRIDE),
    counts: new Float64Array(buffer, at.counts, d * HIST_BINS),
    leafTable: new Float64Array(buffer, at.leaves, 3 * shape.leaves),
    sums: new Float64Array(buffer, at.sums, 2),
  };
}

/** Byte address of a feature's histogram in a slot; `histIndex` is the same as a float64 index. */
export const histAddress = (ws: Workspace, slot: number, feature: number): number =>
  ws.at.hist + (slot * ws.features + feature) * HIST_STRIDE * 8;
export const histIndex = (ws: Workspace, slot: number, feature: number): number =>
  (slot * ws.features + feature) * HIST_STRIDE;
