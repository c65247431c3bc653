/**
 * The training workspace: every per-row array of a training run in one shared WebAssembly memory,
 * so the kernels (kernels.ts) and all threads of the team (thread-team.ts) work on the same bytes.
 * Layout (byte offsets in `at`, each 16-aligned):
 *
 *   bins      rows × features bin codes, column-major (feature f at f · rows)
 *   records   the same codes row-major: one record of `features` bytes per row (+ 16 bytes of slack)
 *   orecords  records gathered in `idx` order for the leaf being built (ordered records)
 *   gh        quantized gradient pair per row (quantize.ts); float64 [g, h] while being computed
 *   ogh       pairs gathered in `idx` order for the leaf being built (ordered gradients)
 *   idx       row ids; each leaf owns a contiguous range [start, end), rows ascending
 *   scratch   the partition's staging area, same size as idx
 *   raw, y    raw scores and labels per row
 *   ex        e^−raw per row (binary log-loss), kept up to date by the score update
 *   hist      `slots` leaf histograms of features × 256 cells [i64, i64]
 *   partials  per worker thread, one leaf's histograms: a thread's share of a build (histogram.ts)
 *   totals    per thread, one cell and its triple: a leaf's sums (histogram.ts cellTotals)
 *   cands     best split per feature for two leaves (split.ts), float64
 *   args      float64 arguments of a split search: the two leaves' sums, the split rules
 *   numBins   int32 per feature: its number of value bins
 *   maxes     float64 per chunk of rows: the largest |g| (squared error's quantization)
 *   leaves    [start, end, value] per leaf of the tree just grown, for the score update
 *   sums      one cell and its triple (kernels.ts sumPairs)
 *   tables    features × 256 float64: the inner bin edges of each feature (kernels.ts binValues)
 *   edges     features × 256 float64: each feature's bin edges, as computed by the team (bin-matrix.ts)
 *   forest    an initial model's trees encoded for walking over the bins (forest.ts)
 */
import { NsError } from '../../errors.ts';
import { HIST_BINS } from './bin-codes.ts';
import { instantiateKernels, PAIR_BYTES, type Kernels } from './kernels.ts';

/** Bytes of one feature's histogram. */
export const HIST_FEATURE_BYTES = HIST_BINS * PAIR_BYTES;
/** Float64 values per feature in `cands` (split.ts CAND). */
export const CAND_STRIDE = 8;
/** Float64 words of `args` (split.ts ARGS). */
export const ARGS_WORDS = 16;
/** Rows per chunk of a parallel partition, gradient or score pass (team-protocol.ts). */
export const CHUNK_ROWS = 8192;

export interface WorkspaceShape {
  rows: number;
  features: number;
  /** Histogram slots (leaves whose histograms are kept at once). */
  slots: number;
  /** Largest number of leaves of one tree. */
  leaves: number;
  /** Bytes of the encoded initial model (forest.ts), 0 without one. */
  forestBytes: number;
  /** False when every hessian is 1 (squared error): the split finder then reads counts as hessian sums. */
  withHess: boolean;
  /** Threads of the team (the calling one included). */
  threads: number;
}

export interface WorkspaceLayout {
  bins: number;
  records: number;
  orecords: number;
  gh: number;
  ogh: number;
  idx: number;
  scratch: number;
  raw: number;
  y: number;
  ex: number;
  hist: number;
  partials: number;
  totals: number;
  cands: number;
  args: number;
  numBins: number;
  maxes: number;
  leaves: number;
  sums: number;
  tables: number;
  edges: number;
  forest: number;
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
  /** gh as float64 [g, h] pairs, while gradients are computed (objective.ts). */
  readonly gh: Float64Array;
  readonly idx: Uint32Array;
  readonly scratch: Uint32Array;
  readonly raw: Float64Array;
  readonly y: Float64Array;
  readonly ex: Float64Array;
  readonly cands: Float64Array;
  readonly args: Float64Array;
  readonly numBins: Int32Array;
  readonly maxes: Float64Array;
  readonly leafTable: Float64Array;
  readonly tables: Float64Array;
  readonly edges: Float64Array;
  /** The arrays from gh to ex, free until the data is binned: where columns and samples are staged for binning. */
  readonly staging: Float64Array;
  /** The triple of `sums` ([G, H, count]). */
  readonly sums: Float64Array;
}

const PAGE_BYTES = 65_536;
/** 32-bit WebAssembly memory: 4 GiB, less one page kept free. */
const MAX_BYTES = 65_535 * PAGE_BYTES;

export const chunksOf = (rows: number): number => Math.ceil(rows / CHUNK_ROWS);

export function layoutOf(shape: WorkspaceShape): WorkspaceLayout {
  const { rows: n, features: d, threads } = shape;
  let offset = 0;
  const take = (bytes: number) => {
    const start = offset;
    offset += Math.ceil(bytes / 16) * 16;
    return start;
  };
  const at = {
    bins: take(n * d),
    records: take(n * d + 16),
    orecords: take(n * d + 16),
    gh: take(PAIR_BYTES * n),
    ogh: take(PAIR_BYTES * n),
    idx: take(4 * n),
    scratch: take(4 * n),
    raw: take(8 * n),
    y: take(8 * n),
    ex: take(8 * n),
    hist: take(shape.slots * d * HIST_FEATURE_BYTES),
    partials: take((threads - 1) * d * HIST_FEATURE_BYTES),
    totals: take(threads * (PAIR_BYTES + 24)),
    cands: take(2 * d * CAND_STRIDE * 8),
    args: take(ARGS_WORDS * 8),
    numBins: take(4 * d),
    maxes: take(8 * chunksOf(n)),
    leaves: take(3 * shape.leaves * 8),
    sums: take(PAIR_BYTES + 24),
    tables: take(d * HIST_BINS * 8),
    edges: take(d * HIST_BINS * 8),
    forest: take(shape.forestBytes),
    bytes: 0,
  };
  at.bytes = offset;
  return at;
}

/** Bytes of an OS memory page (the unit first-touch faults are paid in). */
const OS_PAGE_BYTES = 4096;

/**
 * Has the OS back the staging region (gh to the end of ex) with memory, from its end down, while
 * the calling thread fills it from the start (bin-matrix.ts): a fresh page's first write costs
 * ~13 µs here (3.4 ms per MiB), ~0.15 s of the binning's staging otherwise spent on the calling
 * thread alone. Each page gets a compare-exchange of 0 with 0: atomic, so a value the caller has
 * already written there stays as it is.
 */
export function prefaultStaging(ws: Workspace): void {
  const words = new Int32Array(ws.memory.buffer);
  const from = ws.at.gh;
  for (let b = ws.at.ex + 8 * ws.rows - 4; b >= from; b -= OS_PAGE_BYTES) Atomics.compareExchange(words, b >> 2, 0, 0);
}

/** A new zeroed shared memory for `shape`; NS_VALIDATION when the data set does not fit in 4 GiB. */
export function allocateMemory(shape: WorkspaceShape): WebAssembly.Memory {
  const bytes = layoutOf(shape).bytes;
  if (bytes > MAX_BYTES) {
    throw new NsError('NS_VALIDATION', `set: ${shape.rows} rows × ${shape.features} features need ${Math.ceil(bytes / 2 ** 20)} MiB of GBDT workspace; the limit is 4 GiB (about rows × (3 · features + 72) bytes)`, { field: 'set' });
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
    idx: new Uint32Array(buffer, at.idx, n),
    scratch: new Uint32Array(buffer, at.scratch, n),
    raw: new Float64Array(buffer, at.raw, n),
    y: new Float64Array(buffer, at.y, n),
    ex: new Float64Array(buffer, at.ex, n),
    cands: new Float64Array(buffer, at.cands, 2 * d * CAND_STRIDE),
    args: new Float64Array(buffer, at.args, ARGS_WORDS),
    numBins: new Int32Array(buffer, at.numBins, d),
    maxes: new Float64Array(buffer, at.maxes, chunksOf(n)),
    leafTable: new Float64Array(buffer, at.leaves, 3 * shape.leaves),
    tables: new Float64Array(buffer, at.tables, d * HIST_BINS),
    edges: new Float64Array(buffer, at.edges, d * HIST_BINS),
    staging: new Float64Array(buffer, at.gh, (at.ex + 8 * n - at.gh) / 8),
    sums: new Float64Array(buffer, at.sums + PAIR_BYTES, 3),
  };
}

/** Byte address of a feature's histogram in a slot. */
export const histAddress = (ws: Workspace, slot: number, feature: number): number =>
  ws.at.hist + (slot * ws.features + feature) * HIST_FEATURE_BYTES;

/** Byte address of a feature's histogram in thread `thread`'s buffer: slot `slot` for the calling thread, its partials for a worker. */
export const bufferAddress = (ws: Workspace, thread: number, slot: number, feature: number): number =>
  thread === 0 ? histAddress(ws, slot, feature) : ws.at.partials + ((thread - 1) * ws.features + feature) * HIST_FEATURE_BYTES;

/** Byte address of thread `thread`'s totals: one cell, then its float64 triple. */
export const totalsAddress = (ws: Workspace, thread: number): number => ws.at.totals + thread * (PAIR_BYTES + 24);
