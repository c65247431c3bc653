/**
 * Leaf-wise (best-first) growth of one tree: always split the leaf whose best split gains most,
 * until `maxLeaves`. Each leaf owns a range of the row-index array, partitioned in place on split;
 * only the smaller child's histograms are built, the larger one's is parent − smaller.
 */
import type { GbdtTree } from '../types.ts';
import { leafWeight, pickSplit, type LeafSums, type SplitCandidate, type SplitRules } from './split.ts';
import { SPLIT_ARGS } from './team-protocol.ts';
import { BUILD, leafBuild } from './histogram.ts';
import { GATHER } from './kernels-rows.ts';
import { gatherRows, type FinishTask } from './team-tasks.ts';
import type { ThreadTeam } from './thread-team.ts';
import { CAND_STRIDE, type Workspace } from './workspace.ts';

export interface GrowOptions extends SplitRules {
  maxLeaves: number;
  maxDepth: number | null;
  learningRate: number;
}

export interface GrowInput {
  ws: Workspace;
  team: ThreadTeam;
  /** Per feature: its bin edges, which give the real thresholds. */
  binEdges: readonly (readonly number[])[];
  /** Features this tree may split on (ascending) and their count (the team has them: setFeatures). */
  features: Int32Array;
  featureCount: number;
  /** Feature groups for the histogram builder (planGroups). */
  plan: readonly number[];
  /** The tree's rows are idx[0..rows-1]; `bagged` false means they are exactly 0..rows-1. */
  rows: number;
  bagged: boolean;
  options: GrowOptions;
  /** The root's histograms when already built (by the previous tree's score update, ThreadTeam.updateScores): their slot and task. */
  root: { slot: number; histSeq: number } | null;
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
  /** Final leaves with their row ranges in `ws.idx` (values include the learning rate). */
  leaves: { node: number; start: number; end: number; value: number }[];
}

export function growTree(input: GrowInput): GrownTree {
  const { ws, team, features, featureCount, options } = input;
  const tree: GbdtTree = { feature: [-1], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [0] };
  const splitBin = [-1];
  const free: number[] = [];
  for (let slot = ws.slots - 1; slot >= 0; slot--) free.push(slot);
  const leaves: Leaf[] = [];
  if (!input.bagged) ws.kernels.iota(ws.at.idx, 0, input.rows);

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

  const modeOf = (leaf: Leaf) => leafBuild(ws, leaf.end - leaf.start);

  /**
   * After `built`'s histograms (task `histSeq`, see ThreadTeam.finish): derives `sibling`'s (its
   * slot holding their parent's) when given, and searches the best split of each leaf to evaluate;
   * a leaf without one gives its slot back.
   */
  const search = (built: Leaf, histSeq: number, sibling: Leaf | null, evalBuilt: boolean, evalSibling: boolean, rootTotals: boolean) => {
    const task: FinishTask = {
      small: built.slot, large: sibling?.slot ?? -1, subtract: sibling !== null, evalSmall: evalBuilt, evalLarge: evalSibling,
      histSeq, count: featureCount, smallTotals: rootTotals,
    };
    const s = built.sums;
    const t = sibling?.sums ?? s;
    team.finish(task, [s.g, s.h, s.count, t.g, t.h, t.count]);
    if (rootTotals) {
      const a = ws.args;
      const at = SPLIT_ARGS.LEAF;
      built.sums = { g: a[at]!, h: a[at + 1]!, count: a[at + 2]! };
    }
    built.split = evalBuilt && canSplit(built) ? pickSplit(ws.cands, 0, CAND_STRIDE, features, featureCount) : null;
    if (built.split === null) release(built);
    if (sibling !== null) {
      sibling.split = evalSibling ? pickSplit(ws.cands, ws.features * CAND_STRIDE, CAND_STRIDE, features, featureCount) : null;
      if (sibling.split === null) release(sibling);
    }
  };

  const n = input.rows;
  const root: Leaf = { node: 0, start: 0, end: n, depth: 0, sums: { g: 0, h: 0, count: n }, slot: -1, split: null };
  leaves.push(root);
  if (options.maxLeaves > 1 && featureCount > 0 && n >= 2 * options.minSamplesLeaf) {
    const built = input.root;
    if (built) {
      free.splice(free.indexOf(built.slot), 1);
      root.slot = built.slot;
    } else {
      root.slot = allocate([root]);
    }
    const mode = input.bagged ? modeOf(root) : BUILD.ROOT;
    if (input.bagged) gatherRows(ws, 0, n, mode === BUILD.ORDERED ? GATHER.RECORDS : GATHER.PAIRS);
    const histSeq = built ? built.histSeq : team.histograms(root.slot, 0, n, mode, featureCount, input.plan);
    search(root, histSeq, null, true, false, true); // the root's totals come from its histograms
  } else {
    root.sums = rootSums(ws, input, team);
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
    tree.left[p] = left.node;
    tree.right[p] = right.node;
    tree.missingLeft[p] = split.missingLeft;
    splitBin[p] = split.bin;

    leaves[leaves.indexOf(parent)] = left;
    leaves.push(right);
    parent.split = null;

    // Histogram subtraction: build the smaller child, derive the larger from the parent's. The
    // first child built is built by the partition itself; its rows' gradient pairs (and records)
    // are gathered on the way, as are those of a second one built afterwards.
    if (subtract) {
      large.slot = parent.slot;
      parent.slot = -1;
    } else {
      release(parent);
    }
    const first = subtract || splitSmall ? small : splitLarge ? large : null;
    const second = !subtract && splitSmall && splitLarge ? large : null;
    const gather = (leaf: Leaf) => (leaf !== first && leaf !== second ? GATHER.NONE : modeOf(leaf) === BUILD.ORDERED ? GATHER.RECORDS : GATHER.PAIRS);
    if (first) first.slot = allocate([small, large]);
    const build = first ? { slot: first.slot, left: first === left, mode: modeOf(first), count: featureCount, plan: input.plan } : null;
    const histSeq = team.partition(parent.start, parent.end, mid, split, gather(left), gather(right), build);
    if (first === null) continue;
    search(first, histSeq, subtract ? large : null, first === small ? splitSmall : splitLarge, subtract && splitLarge, false);
    if (second) {
      second.slot = allocate([small, large]);
      search(second, team.histograms(second.slot, second.start, second.end, modeOf(second), featureCount, input.plan), null, true, false, false);
    }
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

/** A leaf's totals summed over its rows (for a root whose histograms are not built). */
function rootSums(ws: Workspace, input: GrowInput, team: ThreadTeam): LeafSums {
  const n = input.rows;
  const q = team.quantization;
  const at = ws.at;
  ws.kernels.sumPairs(at.gh, at.idx, 0, n, input.bagged ? 1 : 0, at.sums);
  ws.kernels.unpackCells(at.sums, at.sums + 16, 1, q.gUnit, q.hUnit, q.countBits, q.countMask);
  return { g: ws.sums[0]!, h: ws.withHess ? ws.sums[1]! : n, count: n };
}
