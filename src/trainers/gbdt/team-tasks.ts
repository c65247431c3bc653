/**
 * The units of work of the thread team's tasks (team-protocol.ts), and the claim loop that runs
 * them: the same functions on the main thread and in the workers, and (called directly) on the
 * serial path, so every path computes bit-identical results.
 */
import { binEdgesOf, binStagedColumn, edgeScratch, type EdgeScratch } from './binning.ts';
import { GATHER, type Gather } from './kernels-rows.ts';
import { addRows, BUILD, cellTotals, clearHistograms, mergePartial, searchFeature, subtractHistogram, type BuildMode } from './histogram.ts';
import type { Objective } from './objective.ts';
import { quantizationOf, type Quantization } from './quantize.ts';
import type { LeafSums, SplitRules } from './split.ts';
import { ARG, chunkOffset, CMD, CTRL, planOffset, SPLIT_ARGS, usedOffset } from './team-protocol.ts';
import { CAND_STRIDE, type Workspace } from './workspace.ts';

/**
 * The whole partition of a leaf [start, end) on one thread (see kernels-rows.ts partitionInPlace);
 * returns the left count, and completes the partition only when it equals mid − start.
 */
export function partitionLeaf(
  ws: Workspace, start: number, end: number, mid: number, feature: number, bin: number, missingLeft: boolean,
  gatherLeft: Gather, gatherRight: Gather,
): number {
  const { kernels: k, at } = ws;
  const lefts = k.partitionInPlace(at.bins + feature * ws.rows, bin, missingLeft ? 1 : 0, at.idx, at.scratch, start, end);
  if (lefts !== mid - start) return lefts;
  ws.idx.set(ws.scratch.subarray(start, start + end - mid), mid);
  gatherRows(ws, start, mid, gatherLeft);
  gatherRows(ws, mid, end, gatherRight);
  return lefts;
}

/** The pairs (and records) of the rows idx[start, end) gathered in that order (ogh, orecords; see GATHER), for their histograms. */
export function gatherRows(ws: Workspace, start: number, end: number, level: Gather): void {
  const { at, kernels: k } = ws;
  if (level === GATHER.NONE) return;
  (level === GATHER.RECORDS ? k.gatherRecords : k.gatherPairs)(at.idx, at.gh, at.ogh, at.records, ws.features, at.orecords, start, end);
}

/** Partition phase 1 on rows idx[a, b): returns how many go left (see kernels-rows.ts partitionScan). */
export function scanChunk(ws: Workspace, a: number, b: number, feature: number, bin: number, missingLeft: boolean): number {
  const at = ws.at;
  return ws.kernels.partitionScan(at.bins + feature * ws.rows, bin, missingLeft ? 1 : 0, at.idx, at.scratch, a, b);
}

/**
 * Partition phase 2 of the chunk [a, b) of a leaf [start, end) splitting at `mid`: its `lefts`
 * rows (scratch[a…], in order) go to idx[start + leftsBefore…], the others (scratch[…b−1],
 * reversed) to idx[mid + rightsBefore…]; the rows of a side being gathered also get their
 * gradient pairs copied to ogh.
 */
export function placeChunk(
  ws: Workspace, start: number, mid: number, a: number, b: number, leftsBefore: number, lefts: number,
  gatherLeft: Gather, gatherRight: Gather,
): void {
  const { kernels: k, at } = ws;
  const rightsBefore = a - start - leftsBefore;
  const rights = b - a - lefts;
  const l = start + leftsBefore;
  const r = mid + rightsBefore;
  const d = ws.features;
  const place = [k.place, k.placePairs, k.placeRecords];
  place[gatherLeft]!(at.scratch + 4 * a, 4, lefts, at.idx + 4 * l, at.gh, at.ogh + 16 * l, at.records, d, at.orecords + d * l);
  place[gatherRight]!(at.scratch + 4 * (b - 1), -4, rights, at.idx + 4 * r, at.gh, at.ogh + 16 * r, at.records, d, at.orecords + d * r);
}

/** First i in [lo, hi) with idx[i] >= row (idx ascending there), else hi. */
function firstAtLeast(idx: Uint32Array, lo: number, hi: number, row: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (idx[mid]! < row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Adds each leaf's value to the scores of its rows whose ids are in [a, b) (leaves from the leaf
 * table; each leaf's rows are ascending in idx, so they are one sub-range of it); `keepExp`: see
 * Objective.addLeaf. With `pairs`, then computes the next gradient pairs of rows [a, b) (not
 * exact), quantized with it, while those rows' scores are still in cache.
 */
export function scoreRows(ws: Workspace, objective: Objective, a: number, b: number, leafCount: number, keepExp: boolean, pairs: Quantization | null): void {
  const t = ws.leafTable;
  const whole = a === 0 && b === ws.rows;
  for (let j = 0; j < leafCount; j++) {
    let s = t[3 * j]!;
    let e = t[3 * j + 1]!;
    if (!whole) {
      s = firstAtLeast(ws.idx, s, e, a);
      e = firstAtLeast(ws.idx, s, e, b);
    }
    if (s < e) objective.addLeaf(ws, s, e, t[3 * j + 2]!, keepExp);
  }
  if (pairs) objective.gradients(ws, a, b, false, pairs);
}

/** The split rules as the workers read them (written once per training by the team). */
export function splitRulesOf(args: Float64Array): SplitRules {
  return {
    l2: args[SPLIT_ARGS.L2]!,
    minSamplesLeaf: args[SPLIT_ARGS.MIN_SAMPLES_LEAF]!,
    minChildWeight: args[SPLIT_ARGS.MIN_CHILD_WEIGHT]!,
    minSplitGain: args[SPLIT_ARGS.MIN_SPLIT_GAIN]!,
  };
}

export interface FinishTask {
  small: number;
  /** −1: no sibling. */
  large: number;
  subtract: boolean;
  evalSmall: boolean;
  evalLarge: boolean;
  /** The HIST task whose worker partials are merged into `small` (−1: none). */
  histSeq: number;
  count: number;
  /** The first leaf's sums are computed from its histogram (the root), not given in args. */
  smallTotals: boolean;
}

/**
 * Unit j of FINISH, for feature features[j]: merges the workers' partial histograms into the built
 * leaf, derives its sibling (parent − built), and writes each evaluated leaf's best split on this
 * feature to cands (child c at (c · features + j) · CAND_STRIDE).
 */
export function finishFeature(ws: Workspace, thread: number, used: Int32Array, features: ArrayLike<number>, j: number, task: FinishTask, q: Quantization, rules: SplitRules): void {
  const f = features[j]!;
  for (let t = 1; t < ws.threads; t++) if (used[t] === task.histSeq) mergePartial(ws, t, task.small, f);
  if (task.subtract) subtractHistogram(ws, task.large, task.small, f);
  const args = ws.args;
  for (let c = 0; c < 2; c++) {
    if (!(c === 0 ? task.evalSmall : task.evalLarge)) continue;
    const slot = c === 0 ? task.small : task.large;
    const at = SPLIT_ARGS.LEAF + 3 * c;
    let sums: LeafSums;
    if (c === 0 && task.smallTotals) {
      sums = cellTotals(ws, thread, slot, f, q); // the same exact totals from every feature
      if (j === 0) [args[at], args[at + 1], args[at + 2]] = [sums.g, sums.h, sums.count];
    } else {
      sums = { g: args[at]!, h: args[at + 1]!, count: args[at + 2]! };
    }
    searchFeature(ws, slot, f, q, sums, rules, (c * ws.features + j) * CAND_STRIDE);
  }
}

/** The next unit of task `seq` (−1 when none is left, or the task is no longer current). */
function claim(word: BigInt64Array, seq: number, units: number): number {
  const tag = BigInt(seq);
  for (;;) {
    const current = Atomics.load(word, 0);
    if (current >> 32n !== tag) return -1;
    const unit = Number(current & 0xffffffffn);
    if (unit >= units) return -1;
    if (Atomics.compareExchange(word, 0, current, current + 1n) === current) return unit;
  }
}

/** A thread's side of the team: its workspace views, the control words, and what it caches between tasks. */
export class TaskRunner {
  readonly ctrl: Int32Array;
  readonly word: BigInt64Array;
  private q: Quantization | null = null;
  private rules: SplitRules | null = null;
  private sampleScratch: EdgeScratch | null = null;

  constructor(
    readonly ws: Workspace,
    control: SharedArrayBuffer,
    readonly objective: Objective,
    readonly thread: number,
  ) {
    this.ctrl = new Int32Array(control);
    this.word = new BigInt64Array(control, 0, 1);
  }

  /** The quantization in the control words (rebuilt only when it changed). */
  quantization(): Quantization {
    const c = this.ctrl;
    const [gExp, hExp, countBits] = [c[CTRL.QUANT]!, c[CTRL.QUANT + 1]!, c[CTRL.QUANT + 2]!];
    const q = this.q;
    if (q !== null && q.gExp === gExp && q.hExp === hExp && q.countBits === countBits) return q;
    return (this.q = quantizationOf(gExp, hExp, countBits, this.ws.withHess));
  }

  splitRules(): SplitRules {
    return (this.rules ??= splitRulesOf(this.ws.args));
  }

  /**
   * Claims and runs units of task `seq` until none are left; returns how many this thread ran. Every
   * claimed unit is counted in DONE, failed or not (a failure sets FAILED), so the main thread never
   * waits for a unit that ended.
   */
  work(seq: number): number {
    let ran = 0;
    const { ctrl, word, ws, thread } = this;
    const cmd = ctrl[CTRL.CMD]!;
    const units = ctrl[CTRL.UNITS]!;
    const arg = (i: number) => ctrl[CTRL.ARGS + i]!;
    const d = ws.features;
    const features = ctrl.subarray(CTRL.FEATURES, CTRL.FEATURES + d);
    const used = ctrl.subarray(usedOffset(d), usedOffset(d) + ws.threads);
    for (let u = claim(word, seq, units); u >= 0; u = claim(word, seq, units)) {
      ran++;
      try {
        this.runUnit(cmd, u, seq, features, used);
      } catch (error) {
        Atomics.store(ctrl, CTRL.FAILED, 1);
        throw error;
      } finally {
        if (Atomics.add(ctrl, CTRL.DONE, 1) + 1 === units) Atomics.notify(ctrl, CTRL.DONE);
      }
    }
    return ran;
  }

  /** Runs units [0, units) of the task in the control words on this thread, in order, without claiming (the team's serial path). */
  runInline(cmd: number, units: number): void {
    const { ctrl, ws } = this;
    const features = ctrl.subarray(CTRL.FEATURES, CTRL.FEATURES + ws.features);
    const used = ctrl.subarray(usedOffset(ws.features), usedOffset(ws.features) + ws.threads);
    for (let u = 0; u < units; u++) this.runUnit(cmd, u, 0, features, used);
  }

  private runUnit(cmd: number, u: number, seq: number, features: Int32Array, used: Int32Array): void {
    const { ctrl, ws, thread } = this;
    const arg = (i: number) => ctrl[CTRL.ARGS + i]!;
    if (cmd === CMD.HIST) this.histUnit(seq, u, features, used);
    else if (cmd === CMD.PLACE) this.placeUnit(seq, u, features, used);
    else if (cmd === CMD.FINISH) {
      const A = ARG.FINISH;
      const task: FinishTask = {
        small: arg(A.SMALL), large: arg(A.LARGE), subtract: arg(A.SUBTRACT) === 1, evalSmall: arg(A.EVAL_SMALL) === 1,
        evalLarge: arg(A.EVAL_LARGE) === 1, histSeq: arg(A.HIST_SEQ), count: arg(A.COUNT), smallTotals: arg(A.SMALL_TOTALS) === 1,
      };
      finishFeature(ws, thread, used, features, u, task, this.quantization(), this.splitRules());
    } else if (cmd === CMD.EDGES) {
      const A = ARG.EDGES;
      const size = arg(A.SIZE);
      if (this.sampleScratch?.values.length !== size) this.sampleScratch = edgeScratch(size);
      binEdgesOf(ws, arg(A.FROM) + u, ws.staging.subarray(u * size, (u + 1) * size), arg(A.MAX_BINS), this.sampleScratch);
    } else if (cmd === CMD.BIN) {
      binStagedColumn(ws, arg(ARG.BIN.FROM) + u, ws.at.gh + 8 * u * ws.rows);
    } else this.rowUnit(cmd, u, arg, seq, features, used);
  }

  /** Unit u of HIST: its range of the leaf's rows, added into this thread's buffer. */
  private histUnit(seq: number, u: number, features: Int32Array, used: Int32Array): void {
    const A = ARG.HIST;
    const arg = (i: number) => this.ctrl[CTRL.ARGS + i]!;
    const a = arg(A.START) + u * arg(A.UNIT_ROWS);
    const b = Math.min(arg(A.END), a + arg(A.UNIT_ROWS));
    this.addToBuffer(seq, features, used, arg(A.SLOT), arg(A.COUNT), arg(A.GROUPS), a, b, arg(A.MODE) as BuildMode);
  }

  /**
   * Adds positions [a, b) of a leaf into this thread's histogram buffer for `slot` (a worker's is
   * cleared at its first unit of task `seq`, which `used` records for the merge; the calling
   * thread's, the slot itself, was cleared before the task).
   */
  private addToBuffer(seq: number, features: Int32Array, used: Int32Array, slot: number, count: number, groups: number, a: number, b: number, mode: BuildMode): void {
    const { ctrl, ws, thread } = this;
    if (thread > 0 && used[thread] !== seq) {
      clearHistograms(ws, thread, slot, features, count);
      used[thread] = seq;
    }
    addRows(ws, thread, slot, features, ctrl.subarray(planOffset(ws.features)), groups, a, b, mode);
  }

  /**
   * Unit u of PLACE: chunk u of the leaf's rows to their final places; when a child is built, its
   * rows of this chunk (one range, gathered just now and still in cache) into this thread's buffer.
   */
  private placeUnit(seq: number, u: number, features: Int32Array, used: Int32Array): void {
    const { ctrl, ws } = this;
    const A = ARG.PLACE;
    const arg = (i: number) => ctrl[CTRL.ARGS + i]!;
    const [start, mid] = [arg(A.START), arg(A.MID)];
    const a = start + u * arg(A.CHUNK);
    const b = Math.min(arg(A.END), a + arg(A.CHUNK));
    const chunks = chunkOffset(ws.features, ws.threads);
    const before = ctrl[chunks + u]!;
    const lefts = ctrl[chunks + u + 1]! - before;
    placeChunk(ws, start, mid, a, b, before, lefts, arg(A.GATHER_LEFT) as Gather, arg(A.GATHER_RIGHT) as Gather);
    if (arg(A.SLOT) < 0) return;
    const [from, to] = arg(A.BUILD_LEFT) === 1 ? [start + before, start + before + lefts] : [mid + a - start - before, mid + b - start - before - lefts];
    this.addToBuffer(seq, features, used, arg(A.SLOT), arg(A.COUNT), arg(A.GROUPS), from, to, arg(A.MODE) as BuildMode);
  }

  /** Row-chunk tasks: unit u covers [start + u·chunk, min(end, …+chunk)). */
  private rowUnit(cmd: number, u: number, arg: (i: number) => number, seq: number, features: Int32Array, used: Int32Array): void {
    const { ctrl, ws, objective } = this;
    const start = arg(0);
    const chunk = arg(2);
    const a = start + u * chunk;
    const b = Math.min(arg(1), a + chunk);
    const chunks = chunkOffset(ws.features, ws.threads);
    if (cmd === CMD.SCAN) {
      const A = ARG.SCAN;
      ctrl[chunks + u] = scanChunk(ws, a, b, arg(A.FEATURE), arg(A.BIN), arg(A.MISSING_LEFT) === 1);
    } else if (cmd === CMD.GRAD) {
      const A = ARG.GRAD;
      const quantized = arg(A.QUANTIZED) === 1;
      const max = objective.gradients(ws, a, b, arg(A.EXACT) === 1, quantized ? this.quantization() : null);
      if (!quantized) ws.maxes[u] = max;
    } else if (cmd === CMD.QUANT) {
      const q = this.quantization();
      ws.kernels.quantizePairs(ws.at.gh, a, b, q.gScale, q.hScale, q.countBits);
    } else if (cmd === CMD.TRANSPOSE) {
      ws.kernels.transpose(ws.at.bins, ws.rows, ws.features, ws.at.records, a, b);
    } else if (cmd === CMD.SCORE) {
      const A = ARG.SCORE;
      scoreRows(ws, objective, a, b, arg(A.LEAVES), arg(A.KEEP_EXP) === 1, arg(A.PAIRS) === 1 ? this.quantization() : null);
      if (arg(A.SLOT) >= 0) this.addToBuffer(seq, features, used, arg(A.SLOT), arg(A.COUNT), arg(A.GROUPS), a, b, BUILD.ROOT);
    }
  }
}
