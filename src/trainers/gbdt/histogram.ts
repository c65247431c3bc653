/**
 * Gradient histograms: per leaf and feature, 256 cells (255 value bins + missing) of
 * [sum of gradients, sum of hessians, row count], in the workspace (workspace.ts) that the calling
 * thread and the team's workers (thread-team.ts) see alike; the sums run in WebAssembly (kernels.ts).
 */
import { HIST_BINS } from './binning.ts';
import { HIST_STRIDE, histAddress, histIndex, type Workspace } from './workspace.ts';

/** Fills `counts` from the bins (rows per bin, per feature). */
export function countRootBins(ws: Workspace): void {
  const counts = ws.counts;
  for (let f = 0; f < ws.features; f++) {
    const col = ws.bins[f]!;
    const base = f * HIST_BINS;
    for (let i = 0; i < ws.rows; i++) {
      const k = base + col[i]!;
      counts[k] = counts[k]! + 1;
    }
  }
}

/**
 * Histograms of the rows in [start, end) for a group of 1, 2 or 4 features (`features[from..)`):
 * one pass over the rows updates every histogram of the group, so row indices and gradients are
 * read once per group rather than once per feature. `indexed` true: rows idx[start..end-1] with the
 * ordered pairs in ogh (gathered by the caller); false: all rows in order with gh (the root without
 * bagging), whose counts never change and are copied from `counts` instead of summed.
 */
export function buildGroup(
  ws: Workspace,
  features: ArrayLike<number>,
  from: number,
  size: number,
  slot: number,
  start: number,
  end: number,
  indexed: boolean,
): void {
  const { hist, kernels: k, at, rows } = ws;
  const f0 = features[from]!;
  const f1 = size > 1 ? features[from + 1]! : 0;
  const f2 = size > 2 ? features[from + 2]! : 0;
  const f3 = size > 3 ? features[from + 3]! : 0;
  for (let j = 0; j < size; j++) {
    const base = histIndex(ws, slot, features[from + j]!);
    hist.fill(0, base, base + HIST_STRIDE);
  }
  const c = (f: number) => at.bins + f * rows;
  const h = (f: number) => histAddress(ws, slot, f);
  if (indexed) {
    if (size === 4) k.rows4(c(f0), c(f1), c(f2), c(f3), h(f0), h(f1), h(f2), h(f3), at.ogh, at.idx, start, end);
    else if (size === 2) k.rows2(c(f0), c(f1), h(f0), h(f1), at.ogh, at.idx, start, end);
    else k.rows1(c(f0), h(f0), at.ogh, at.idx, start, end);
    return;
  }
  if (size === 4) k.root4(c(f0), c(f1), c(f2), c(f3), h(f0), h(f1), h(f2), h(f3), at.gh, start, end);
  else if (size === 2) k.root2(c(f0), c(f1), h(f0), h(f1), at.gh, start, end);
  else k.root1(c(f0), h(f0), at.gh, start, end);
  const counts = ws.counts;
  for (let j = 0; j < size; j++) {
    const f = features[from + j]!;
    const src = f * HIST_BINS;
    const base = histIndex(ws, slot, f);
    for (let b = 0; b < HIST_BINS; b++) hist[base + b * 3 + 2] = counts[src + b]!;
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

/** hist[target] −= hist[source] for the given features: the sibling of a built child. */
export function subtractHistograms(ws: Workspace, target: number, source: number, features: Int32Array, count: number): void {
  if (count === ws.features) {
    ws.kernels.subtract(histAddress(ws, target, 0), histAddress(ws, source, 0), (count * HIST_STRIDE) / 2);
    return;
  }
  for (let j = 0; j < count; j++) {
    const f = features[j]!;
    ws.kernels.subtract(histAddress(ws, target, f), histAddress(ws, source, f), HIST_STRIDE / 2);
  }
}
