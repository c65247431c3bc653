/**
 * Leaf-wise (best-first) growth of one tree: always split the leaf whose best split gains most,
 * until `maxLeaves`. Each leaf owns a range of the row-index array, partitioned in place on split;
 * only the smaller child's histograms are built, the larger one's is parent − smaller.
 */
import type { GbdtTree } from '../types.ts';
import { MISSING_BIN } from './binning.ts';
import { gatherGradients, subtractHistograms, type HistogramBuilder, type HistogramSpace } from './histogram.ts';
import { findBestSplit, leafWeight, type LeafSums, type SplitCandidate, type SplitRules } from './split.ts';

export interface GrowOptions extends SplitRules {
  maxLeaves: number;
  maxDepth: number | null;
  learningRate: number;
}

export interface GrowInput {
  space: HistogramSpace;
  builder: HistogramBuilder;
  /** Per feature: its number of value bins; edges give the real thresholds. */
  numBins: readonly number[];
  binEdges: readonly (readonly number[])[];
  /** Features this tree may split on (ascending) and their count. */
  features: Int32Array;
  featureCount: number;
  /** Feature groups for the histogram builder (planGroups). */
  plan: readonly number[];
  /** The tree's rows are idx[0..rows-1]; `bagged` false means they are exactly 0..rows-1. */
  rows: number;
  bagged: boolean;
  /** Scratch of at least `rows` entries for partitioning. */
  scratch: Uint32Array;
  options: GrowOptions;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  sums: LeafSums;
  slot: number;
  split: SplitCandidate | null;
}

export interface GrownTree {
  tree: GbdtTree;
  /** Per node: the bin an internal node splits at (rows with bin <= it go left), −1 for leaves. */
  splitBin: number[];
  /** Final leaves with their row ranges in `space.idx` (values include the learning rate). */
  leaves: { node: number; start: number; end: number; value: number }[];
}

export function growTree(input: GrowInput): GrownTree {
  const { space, builder, features, featureCount, options } = input;
  const tree: GbdtTree = { feature: [-1], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [0] };
  const splitBin = [-1];
  const free: number[] = [];
  for (let slot = space.slots - 1; slot >= 0; slot--) free.push(slot);
  const leaves: Leaf[] = [];
  if (!input.bagged) for (let i = 0; i < input.rows; i++) space.idx[i] = i;

  const canSplit = (leaf: Leaf) =>
    leaf.sums.count >= 2 * options.minSamplesLeaf &&
    leaf.sums.h >= 2 * options.minChildWeight &&
    (options.maxDepth === null || leaf.depth < options.maxDepth);

  const release = (leaf: Leaf) => {
    if (leaf.slot >= 0) free.push(leaf.slot);
    leaf.slot = -1;
  };

  const allocate = (busy: readonly Leaf[]): number => {
    const slot = free.pop();
    if (slot !== undefined) return slot;
    // Out of histogram memory: evict the waiting leaf least likely to be split next.
    let victim: Leaf | null = null;
    for (const leaf of leaves) {
      if (leaf.slot < 0 || busy.includes(leaf)) continue;
      if (victim === null || (leaf.split?.gain ?? 0) < (victim.split?.gain ?? 0)) victim = leaf;
    }
    if (victim === null) throw new Error('histogram pool exhausted');
    const s = victim.slot;
    victim.slot = -1;
    return s;
  };

  const build = (leaf: Leaf, indexed: boolean) => {
    if (indexed) gatherGradients(space, leaf.start, leaf.end);
    builder.build(leaf.slot, leaf.start, leaf.end, indexed, features, input.plan);
  };

  const evaluate = (leaf: Leaf) => {
    leaf.split = findBestSplit(space, leaf.slot, features, featureCount, input.numBins, leaf.sums, options);
    if (leaf.split === null) release(leaf);
  };

  const root: Leaf = { node: 0, start: 0, end: input.rows, depth: 0, sums: rootSums(space, input), slot: -1, split: null };
  leaves.push(root);
  if (canSplit(root) && options.maxLeaves > 1) {
    root.slot = allocate([root]);
    build(root, input.bagged);
    evaluate(root);
  }

  while (leaves.length < options.maxLeaves) {
    let parent: Leaf | null = null;
    for (const leaf of leaves) if (leaf.split !== null && (parent === null || leaf.split.gain > parent.split!.gain)) parent = leaf;
    if (parent === null) break;
    const split = parent.split!;
    const sums = parent.sums;
    const rightSums = { g: sums.g - split.left.g, h: sums.h - split.left.h, count: sums.count - split.left.count };
    const depth = parent.depth + 1;
    const mid = parent.start + split.left.count;
    const left: Leaf = { node: tree.feature.length, start: parent.start, end: mid, depth, sums: split.left, slot: -1, split: null };
    const right: Leaf = { node: left.node + 1, start: mid, end: parent.end, depth, sums: rightSums, slot: -1, split: null };
    const [small, large] = split.left.count <= rightSums.count ? [left, right] : [right, left];
    const growMore = leaves.length + 1 < options.maxLeaves;
    const splitSmall = growMore && canSplit(small);
    const splitLarge = growMore && canSplit(large);
    const subtract = parent.slot >= 0 && splitLarge;
    partition(space, input.scratch, parent.start, parent.end, mid, split);
    const leftNode = left.node;
    const rightNode = right.node;
    for (let k = 0; k < 2; k++) {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.missingLeft.push(false);
      tree.value.push(0);
      splitBin.push(-1);
    }
    const p = parent.node;
    tree.feature[p] = split.feature;
    tree.threshold[p] = input.binEdges[split.feature]![split.bin]!;
    tree.left[p] = leftNode;
    tree.right[p] = rightNode;
    tree.missingLeft[p] = split.missingLeft;
    splitBin[p] = split.bin;

    leaves[leaves.indexOf(parent)] = left;
    leaves.push(right);
    parent.split = null;
    if (!splitSmall && !splitLarge) {
      release(parent);
      continue;
    }
    if (subtract) {
      // Histogram subtraction: build the smaller child, derive the larger from the parent's.
      large.slot = parent.slot;
      parent.slot = -1;
      small.slot = allocate([large, small]);
      build(small, true);
      subtractHistograms(space, large.slot, small.slot, features, featureCount);
    } else {
      release(parent);
      for (const [child, splits] of [[small, splitSmall], [large, splitLarge]] as const) {
        if (!splits) continue;
        child.slot = allocate([small, large]);
        build(child, true);
      }
    }
    if (splitSmall) evaluate(small);
    else release(small);
    if (splitLarge) evaluate(large);
    else release(large);
  }

  for (const leaf of leaves) release(leaf);
  const out: GrownTree['leaves'] = [];
  for (const leaf of leaves) {
    const value = leafWeight(leaf.sums.g, leaf.sums.h, options.l2) * options.learningRate;
    tree.value[leaf.node] = value;
    out.push({ node: leaf.node, start: leaf.start, end: leaf.end, value });
  }
  return { tree, splitBin, leaves: out };
}

function rootSums(space: HistogramSpace, input: GrowInput): LeafSums {
  const { g, h, idx } = space;
  let sg = 0;
  let sh = 0;
  const n = input.rows;
  if (input.bagged) {
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      sg += g[r]!;
      sh += h[r]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      sg += g[i]!;
      sh += h[i]!;
    }
  }
  return { g: sg, h: space.withHess ? sh : n, count: n };
}

/**
 * Stable in-place partition of idx[start, end) by the split; `mid` (start + left count, known
 * exactly from the histogram) is where the right rows begin. Branch-free on purpose: every row is
 * written to both sides and only the counters move, because a data-dependent branch here
 * mispredicts about half the time. (Gathering the smaller child's gradients here as well was
 * measured slower: it reads the gradients of every row, not only the smaller child's.)
 */
function partition(space: HistogramSpace, scratch: Uint32Array, start: number, end: number, mid: number, split: SplitCandidate): void {
  const idx = space.idx;
  const col = space.bins[split.feature]!;
  const bin = split.bin;
  const ml = split.missingLeft ? 1 : 0;
  let l = start;
  let r = 0;
  for (let i = start; i < end; i++) {
    const row = idx[i]!;
    const b = col[row]!;
    const left = +(b <= bin) | (+(b === MISSING_BIN) & ml);
    idx[l] = row;
    scratch[r] = row;
    l += left;
    r += 1 - left;
  }
  if (l !== mid) throw new Error(`partition: ${l - start} rows went left, the histogram counted ${mid - start}`);
  idx.set(scratch.subarray(0, r), l);
}
