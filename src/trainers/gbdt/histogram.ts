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
import type { LeafSums } from './split.ts';
import { bufferAddress, HIST_FEATURE_BYTES, histAddress, totalsAddress, viewAddress, type Workspace } from './workspace.ts';

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
    const from = bufferAddress(ws, thread, slot, 0);
    ws.bytes.fill(0, from, from + count * HIST_FEATURE_BYTES);
    return;
  }
  for (let j = 0; j < count; j++) {
    const from = bufferAddress(ws, thread, slot, features[j]!);
    ws.bytes.fill(0, from, from + HIST_FEATURE_BYTES);
  }
}

/**
 * Adds the rows [start, end) into thread `thread`'s histograms of the features of `plan` (groups of
 * `features`, see planGroups): one pass over the rows per group. `indexed` true: rows idx[start..end-1]
 * with the ordered pairs in ogh (gathered by the partition); false: rows start..end-1 with gh (the
 * root without bagging).
 */
export function addRows(
  ws: Workspace, thread: number, slot: number, features: ArrayLike<number>, plan: ArrayLike<number>, groups: number,
  start: number, end: number, indexed: boolean,
): void {
  const { kernels: k, at, rows } = ws;
  const c = (f: number) => at.bins + f * rows;
  const h = (f: number) => bufferAddress(ws, thread, slot, f);
  for (let j = 0; j < 2 * groups; j += 2) {
    const from = plan[j]!;
    const size = plan[j + 1]!;
    const f0 = features[from]!;
    const f1 = size > 1 ? features[from + 1]! : 0;
    const f2 = size > 2 ? features[from + 2]! : 0;
    const f3 = size > 3 ? features[from + 3]! : 0;
    if (indexed) {
      if (size === 4) k.rows4(c(f0), c(f1), c(f2), c(f3), h(f0), h(f1), h(f2), h(f3), at.ogh, at.idx, start, end);
      else if (size === 2) k.rows2(c(f0), c(f1), h(f0), h(f1), at.ogh, at.idx, start, end);
      else k.rows1(c(f0), h(f0), at.ogh, at.idx, start, end);
    } else if (size === 4) k.root4(c(f0), c(f1), c(f2), c(f3), h(f0), h(f1), h(f2), h(f3), at.gh, start, end);
    else if (size === 2) k.root2(c(f0), c(f1), h(f0), h(f1), at.gh, start, end);
    else k.root1(c(f0), h(f0), at.gh, start, end);
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

/** Unpacks a feature's histogram into thread `thread`'s view (float64 [G, H, count] per cell); returns the view's index in ws.views. */
export function unpackHistogram(ws: Workspace, thread: number, slot: number, feature: number, q: Quantization): number {
  ws.kernels.unpackCells(histAddress(ws, slot, feature), viewAddress(ws, thread), HIST_BINS, q.gUnit, q.hUnit, q.countBits, q.countMask);
  return (viewAddress(ws, thread) - ws.at.views) / 8;
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
