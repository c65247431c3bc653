/**
 * Gradient histograms: per leaf and feature, 256 cells (255 value bins + missing) of quantized
 * [Σg, Σh·2^K + count] (quantize.ts), in the workspace (workspace.ts) that the calling thread and
 * the team's workers (thread-team.ts) see alike; the sums run in WebAssembly (kernels.ts).
 *
 * A leaf's rows may be split among threads: each adds its rows into its own buffer (the leaf's slot
 * for the calling thread, its partials for a worker), and the partials are merged into the slot
 * afterwards. Sums are exact integers, so the result is the same however the rows were split.
 */
import { HIST_BINS } from './bin-codes.ts';
import type { Quantization } from './quantize.ts';
import type { LeafSums, SplitRules } from './split.ts';
import { bufferAddress, HIST_FEATURE_BYTES, histAddress, totalsAddress, type Workspace } from './workspace.ts';

/**
 * How a leaf's rows are read: the root's in order from the column-major bins; a leaf's through idx
 * from the column-major bins; or a sparse leaf's from its ordered records (its rows' codes
 * gathered in leaf order by the partition, one record per row instead of a byte in each column).
 */
export const BUILD = { ROOT: 0, INDEXED: 1, ORDERED: 2 } as const;
export type BuildMode = (typeof BUILD)[keyof typeof BUILD];

/**
 * A leaf with fewer than 1/RECORDS_SPARSITY of the rows is built from ordered records: its rows lie
 * so far apart that reading each column would miss the cache on nearly every byte, while gathering
 * a record costs more than it saves for denser leaves (measured: ~4 ns per row vs ~17 ns per row
 * for the histograms, 20 features).
 */
const RECORDS_SPARSITY = 20;

/** The build mode of a leaf of `rows` rows reached through idx (see BUILD). */
export const leafBuild = (ws: Workspace, rows: number): BuildMode => (rows * RECORDS_SPARSITY < ws.rows ? BUILD.ORDERED : BUILD.INDEXED);

/** Splits `count` features into groups of 4, then 2 and 1 (as [from, size] pairs): one pass over a leaf's rows per group. */
export function planGroups(count: number): number[] {
  const plan: number[] = [];
  let from = 0;
  for (const size of [4, 2, 1]) {
    while (count - from >= size) {
      plan.push(from, size);
      from += size;
    }
  }
  return plan;
}

/** Zeroes the histograms of features[0, count) in thread `thread`'s buffer for `slot`. */
export function clearHistograms(ws: Workspace, thread: number, slot: number, features: ArrayLike<number>, count: number): void {
  if (count === ws.features) {
    ws.kernels.zero(bufferAddress(ws, thread, slot, 0), count * HIST_FEATURE_BYTES);
    return;
  }
  for (let j = 0; j < count; j++) ws.kernels.zero(bufferAddress(ws, thread, slot, features[j]!), HIST_FEATURE_BYTES);
}

/**
 * Adds the rows [start, end) into thread `thread`'s histograms of the features of `plan` (groups of
 * `features`, see planGroups): one pass over the rows per group. ROOT: rows start..end-1 with gh;
 * INDEXED: rows idx[start..end-1], whose pairs the partition has gathered in that order (ogh);
 * ORDERED: the same with their records gathered too (orecords).
 */
export function addRows(
  ws: Workspace, thread: number, slot: number, features: ArrayLike<number>, plan: ArrayLike<number>, groups: number,
  start: number, end: number, mode: BuildMode,
): void {
  const { kernels: k, at, rows } = ws;
  const ordered = mode === BUILD.ORDERED;
  const c = ordered ? (f: number) => at.orecords + f : (f: number) => at.bins + f * rows;
  const stride = ordered ? ws.features : 1;
  const pairs = mode === BUILD.ROOT ? at.gh : at.ogh;
  const h = (f: number) => bufferAddress(ws, thread, slot, f);
  if (mode === BUILD.INDEXED) {
    for (let j = 0; j < 2 * groups; j += 2) {
      const from = plan[j]!;
      const size = plan[j + 1]!;
      const f0 = features[from]!;
      const f1 = size > 1 ? features[from + 1]! : 0;
      const f2 = size > 2 ? features[from + 2]! : 0;
      const f3 = size > 3 ? features[from + 3]! : 0;
      if (size === 4) k.rows4(c(f0), c(f1), c(f2), c(f3), h(f0), h(f1), h(f2), h(f3), pairs, at.idx, start, end);
      else if (size === 2) k.rows2(c(f0), c(f1), h(f0), h(f1), pairs, at.idx, start, end);
      else k.rows1(c(f0), h(f0), pairs, at.idx, start, end);
    }
    return;
  }
  for (let j = 0; j < 2 * groups; j += 2) {
    const from = plan[j]!;
    const size = plan[j + 1]!;
    const f0 = features[from]!;
    const f1 = size > 1 ? features[from + 1]! : 0;
    const f2 = size > 2 ? features[from + 2]! : 0;
    const f3 = size > 3 ? features[from + 3]! : 0;
    if (size === 4) k.hist4(c(f0), c(f1), c(f2), c(f3), h(f0), h(f1), h(f2), h(f3), pairs, stride, start, end);
    else if (size === 2) k.hist2(c(f0), c(f1), h(f0), h(f1), pairs, stride, start, end);
    else k.hist1(c(f0), h(f0), pairs, stride, start, end);
  }
}

/** slot[feature] += worker `thread`'s partial histogram of it. */
export function mergePartial(ws: Workspace, thread: number, slot: number, feature: number): void {
  ws.kernels.addCells(histAddress(ws, slot, feature), bufferAddress(ws, thread, slot, feature), HIST_BINS);
}

/** hist[target][feature] −= hist[source][feature]: the sibling of a built child, from their parent's. */
export function subtractHistogram(ws: Workspace, target: number, source: number, feature: number): void {
  ws.kernels.subtract(histAddress(ws, target, feature), histAddress(ws, source, feature), HIST_BINS);
}

/**
 * The best split of one feature of the leaf in `slot` (kernels-split.ts), written to ws.cands from
 * float64 index `at` (see CAND); `sums` are the leaf's totals.
 */
export function searchFeature(ws: Workspace, slot: number, feature: number, q: Quantization, sums: LeafSums, rules: SplitRules, at: number): void {
  ws.kernels.bestSplit(
    histAddress(ws, slot, feature), ws.numBins[feature]!, q.gUnit, q.hUnit, q.countBits, q.countMask, ws.withHess ? 1 : 0,
    sums.g, sums.h, sums.count, rules.l2, rules.minSamplesLeaf, rules.minChildWeight, rules.minSplitGain, ws.at.cands + 8 * at,
  );
}

/**
 * A leaf's totals from one feature's histogram: the exact sum of its cells (every feature gives the
 * same), converted once. With unit hessians, H is the count.
 */
export function cellTotals(ws: Workspace, thread: number, slot: number, feature: number, q: Quantization): LeafSums {
  const out = totalsAddress(ws, thread);
  const k = ws.kernels;
  k.sumPairs(histAddress(ws, slot, feature), 0, 0, HIST_BINS, 0, out);
  k.unpackCells(out, out + 16, 1, q.gUnit, q.hUnit, q.countBits, q.countMask);
  const t = new Float64Array(ws.memory.buffer, out + 16, 3);
  return { g: t[0]!, h: t[1]!, count: t[2]! };
}
