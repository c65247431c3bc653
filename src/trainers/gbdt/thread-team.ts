/**
 * The threads a training run works with: the calling thread plus `threads − 1` workers over the
 * shared workspace. Every per-row pass goes through here — histograms (split by ranges of rows),
 * the split search after a build (by feature), the row partition after a split, gradients and
 * score updates (by chunks of rows) — so the grower stays a plain synchronous loop. The calling
 * thread takes part in each task and blocks (Atomics.wait) until the workers finish; it runs inside
 * a training worker, never on the API's event loop. With one thread, or a small task, the same unit
 * functions run inline.
 */
import { entryUrl } from '../../entries.ts';
import type { Worker } from 'node:worker_threads';
import { NsError } from '../../errors.ts';
import { addRows, clearHistograms, type BuildMode } from './histogram.ts';
import { GATHER, type Gather } from './kernels-rows.ts';
import type { Objective } from './objective.ts';
import { quantization, type Quantization } from './quantize.ts';
import type { SplitCandidate, SplitRules } from './split.ts';
import { ARG, chunkOffset, claimWord, CLOSED, CMD, controlBytes, CTRL, planOffset, SPIN_MS, SPLIT_ARGS, usedOffset, type TeamWorkerData } from './team-protocol.ts';
import { finishFeature, gatherRows, partitionLeaf, TaskRunner, type FinishTask } from './team-tasks.ts';
import { CHUNK_ROWS, chunksOf, type Workspace } from './workspace.ts';
import { startBundledWorkers } from '../worker/bundled-worker.ts';
import { stopWorker } from '../worker/spawn-worker.ts';

/** Below this many rows a histogram build runs on the calling thread: sharing it would cost more. */
const MIN_PARALLEL_HIST_ROWS = 4096;
/** Rows per unit of a shared build: a few units per thread, so a late thread holds up no one. */
const HIST_UNIT_ROWS = { min: 1024, max: 16_384, perThread: 4 } as const;
/** Row ids per unit of a score update (whose scores, e^−raw and next gradients stay in cache together). */
const SCORE_UNIT_ROWS = 16_384;
/** Below this many rows a partition runs on the calling thread, as one chunk. */
const MIN_PARALLEL_PARTITION_ROWS = 2 * CHUNK_ROWS;
const START_TIMEOUT_MS = 30_000;
/** Bound on one task; a worker that stops responding fails the training, never hangs it. */
const TASK_TIMEOUT_MS = 300_000;

/** A child whose histograms the partition builds: into `slot`, the left side or the right, how (BUILD), the features set by setFeatures [0, count) grouped by `plan`. */
export interface SideBuild {
  slot: number;
  left: boolean;
  mode: BuildMode;
  count: number;
  plan: readonly number[];
}

/** The next tree's root histograms, built by the score update: into `slot`, the features set by setFeatures [0, count) grouped by `plan`. */
export interface RootBuild {
  slot: number;
  count: number;
  plan: readonly number[];
}

export interface LeafRange {
  start: number;
  end: number;
  value: number;
}

export class ThreadTeam {
  private closed = false;
  private seq = 0;
  private readonly ctrl: Int32Array;
  private readonly word: BigInt64Array;
  private readonly runner: TaskRunner;
  private readonly started: Promise<void>;
  private q: Quantization;

  /** The workers once started (startBundledWorkers); the team counts them from the start, as `helpers`. */
  private workers: Worker[] = [];
  private readonly spawning: Promise<unknown>;

  private constructor(
    private readonly ws: Workspace,
    private readonly objective: Objective,
    /** Worker threads of the team (threads − 1): tasks are shared from the start; a worker joins those published after it is ready. */
    private readonly helpers: number,
    control: SharedArrayBuffer,
    spawning: Promise<Worker[]>,
  ) {
    this.ctrl = new Int32Array(control);
    this.word = new BigInt64Array(control, 0, 1);
    this.runner = new TaskRunner(ws, control, objective, 0);
    Atomics.store(this.word, 0, claimWord(0, CLOSED));
    this.q = quantization(ws.rows, 1, ws.withHess ? 1 : null);
    this.spawning = spawning.then((workers) => {
      this.workers = workers;
      for (const w of workers) w.on('error', () => Atomics.store(this.ctrl, CTRL.FAILED, 1)); // never unhandled
    }, () => undefined);
    // A team closed while its workers were being created: they see STOP as soon as they load.
    this.started = spawning.then((workers) => Promise.all(workers.map((w) => ready(w)))).then(() => undefined);
    this.started.catch(() => undefined); // observed by start()
  }

  /**
   * Starts the workers at once (they are created and load while the caller bins the data, see
   * bundled-worker.ts); `start()` waits until they are ready. The workspace memory must already
   * exist; its contents may be filled later.
   */
  static spawn(ws: Workspace, objective: Objective): ThreadTeam {
    const control = new SharedArrayBuffer(controlBytes(ws));
    const shape = { rows: ws.rows, features: ws.features, slots: ws.slots, leaves: ws.leaves, forestBytes: ws.forestBytes, withHess: ws.withHess, threads: ws.threads };
    const spawning = startBundledWorkers(entryUrl('gbdt-team-worker'), ws.threads - 1, (i) => {
      const data: TeamWorkerData = { shape, memory: ws.memory, module: ws.module, control, objective: objective.name, thread: i + 1 };
      return { workerData: data };
    });
    return new ThreadTeam(ws, objective, ws.threads - 1, control, spawning);
  }

  /**
   * Resolves once the workers exist (loading, not necessarily ready): the event loop must turn
   * for that (see bundled-worker.ts), so a caller about to run long synchronous work awaits it.
   */
  async created(): Promise<void> {
    await this.spawning;
  }

  async start(): Promise<void> {
    try {
      await this.started;
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  get threads(): number {
    return this.helpers + 1;
  }

  get quantization(): Quantization {
    return this.q;
  }

  /** The quantization of the gradient pairs from now on (every thread reads it from the control words). */
  setQuantization(q: Quantization): void {
    this.q = q;
    this.ctrl.set([q.gExp, q.hExp, q.countBits], CTRL.QUANT);
  }

  /** The split rules and each feature's number of value bins, for every thread's split search. */
  setSplitRules(rules: SplitRules, numBins: readonly number[]): void {
    const args = this.ws.args;
    args[SPLIT_ARGS.L2] = rules.l2;
    args[SPLIT_ARGS.MIN_SAMPLES_LEAF] = rules.minSamplesLeaf;
    args[SPLIT_ARGS.MIN_CHILD_WEIGHT] = rules.minChildWeight;
    args[SPLIT_ARGS.MIN_SPLIT_GAIN] = rules.minSplitGain;
    this.ws.numBins.set(numBins);
  }

  /** The features of this tree (ascending), for the tasks that follow. */
  setFeatures(features: Int32Array, count: number): void {
    this.ctrl.set(features.subarray(0, count), CTRL.FEATURES);
  }

  /**
   * Histograms of the features set by setFeatures ([0, count), grouped by `plan`, see planGroups)
   * for the rows [start, end) into `slot`. Returns the task whose worker partials `finish` must
   * merge (−1 when the calling thread built it alone).
   */
  histograms(slot: number, start: number, end: number, mode: BuildMode, count: number, plan: readonly number[]): number {
    const features = this.ctrl.subarray(CTRL.FEATURES, CTRL.FEATURES + count);
    clearHistograms(this.ws, 0, slot, features, count);
    const rows = end - start;
    if (this.helpers === 0 || rows < MIN_PARALLEL_HIST_ROWS) {
      addRows(this.ws, 0, slot, features, plan, plan.length / 2, start, end, mode);
      return -1;
    }
    this.ctrl.set(plan, planOffset(this.ws.features));
    const u = HIST_UNIT_ROWS;
    const unitRows = Math.min(u.max, Math.max(u.min, Math.ceil(rows / (u.perThread * this.threads))));
    const A = ARG.HIST;
    return this.run(CMD.HIST, Math.ceil(rows / unitRows), [[A.SLOT, slot], [A.START, start], [A.END, end], [A.MODE, mode], [A.UNIT_ROWS, unitRows], [A.GROUPS, plan.length / 2], [A.COUNT, count]]);
  }

  /**
   * After a build into `task.small`: merges the workers' partials, derives `task.large` (its slot
   * holding the parent's histograms) when `task.subtract`, and leaves each evaluated leaf's best
   * split per feature in the workspace's cands (pickSplit); the leaves' sums are given in
   * `sums` ([G, H, count] of small, then large), or computed for small when `task.smallTotals`.
   */
  finish(task: FinishTask, sums: readonly number[]): void {
    const args = this.ws.args;
    for (let i = 0; i < sums.length; i++) args[SPLIT_ARGS.LEAF + i] = sums[i]!;
    if (this.helpers === 0 || task.count < 2) {
      const features = this.ctrl.subarray(CTRL.FEATURES);
      const used = this.ctrl.subarray(usedOffset(this.ws.features));
      const rules = this.runner.splitRules();
      for (let j = 0; j < task.count; j++) finishFeature(this.ws, 0, used, features, j, task, this.q, rules);
      return;
    }
    const A = ARG.FINISH;
    this.run(CMD.FINISH, task.count, [
      [A.SMALL, task.small], [A.LARGE, task.large], [A.SUBTRACT, task.subtract ? 1 : 0], [A.EVAL_SMALL, task.evalSmall ? 1 : 0],
      [A.EVAL_LARGE, task.evalLarge ? 1 : 0], [A.HIST_SEQ, task.histSeq], [A.COUNT, task.count], [A.SMALL_TOTALS, task.smallTotals ? 1 : 0],
    ]);
  }

  /**
   * Stable partition of idx[start, end) by the split: rows going left first, the right ones from
   * `mid` (start + left count, known exactly from the histogram). The rows of a side to be built
   * next get their gradient pairs (and records) gathered on the way (see GATHER), and with `build`
   * one side's histograms are built in the same task, each chunk's rows while they are in cache.
   * Returns the task whose worker partials `finish` must merge (−1: none).
   */
  partition(start: number, end: number, mid: number, split: SplitCandidate, gatherLeft: Gather, gatherRight: Gather, build: SideBuild | null): number {
    const ws = this.ws;
    let lefts: number;
    let seq = -1;
    const count = build?.count ?? 0;
    const features = this.ctrl.subarray(CTRL.FEATURES, CTRL.FEATURES + count);
    if (build) clearHistograms(ws, 0, build.slot, features, count);
    if (this.helpers === 0 || end - start < MIN_PARALLEL_PARTITION_ROWS) {
      // The built side is gathered and built chunk by chunk, so each chunk is built while in cache.
      const later = build?.left ? gatherLeft : gatherRight;
      lefts = partitionLeaf(ws, start, end, mid, split.feature, split.bin, split.missingLeft, build?.left ? GATHER.NONE : gatherLeft, build && !build.left ? GATHER.NONE : gatherRight);
      if (build && lefts === mid - start) {
        const [from, to] = build.left ? [start, mid] : [mid, end];
        for (let a = from; a < to; a += CHUNK_ROWS) {
          const b = Math.min(to, a + CHUNK_ROWS);
          gatherRows(ws, a, b, later);
          addRows(ws, 0, build.slot, features, build.plan, build.plan.length / 2, a, b, build.mode);
        }
      }
    } else {
      const ctrl = this.ctrl;
      const units = Math.ceil((end - start) / CHUNK_ROWS);
      const S = ARG.SCAN;
      this.run(CMD.SCAN, units, [[S.START, start], [S.END, end], [S.CHUNK, CHUNK_ROWS], [S.FEATURE, split.feature], [S.BIN, split.bin], [S.MISSING_LEFT, split.missingLeft ? 1 : 0]]);
      // Per-chunk left counts → exclusive prefix sums (one more word: the total).
      const base = chunkOffset(ws.features, ws.threads);
      lefts = 0;
      for (let u = 0; u < units; u++) {
        const c = ctrl[base + u]!;
        ctrl[base + u] = lefts;
        lefts += c;
      }
      ctrl[base + units] = lefts;
      const P = ARG.PLACE;
      if (lefts === mid - start) {
        if (build) ctrl.set(build.plan, planOffset(ws.features));
        seq = this.run(CMD.PLACE, units, [
          [P.START, start], [P.END, end], [P.CHUNK, CHUNK_ROWS], [P.MID, mid], [P.GATHER_LEFT, gatherLeft], [P.GATHER_RIGHT, gatherRight],
          [P.SLOT, build?.slot ?? -1], [P.BUILD_LEFT, build?.left ? 1 : 0], [P.MODE, build?.mode ?? 0], [P.GROUPS, (build?.plan.length ?? 0) / 2], [P.COUNT, count],
        ]);
      }
    }
    if (lefts !== mid - start) throw new Error(`partition: ${lefts} rows went left, the histogram counted ${mid - start}`);
    return seq;
  }

  /**
   * Quantized gradient pairs of rows [0, rows) from the current scores (`exact`: see
   * Objective.gradients). An objective without known bounds gets its quantization from this tree's
   * largest |g| first.
   */
  gradients(rows: number, exact: boolean): void {
    const bounds = this.objective.bounds;
    if (bounds !== null) this.rowTask(CMD.GRAD, rows, [[ARG.GRAD.EXACT, exact ? 1 : 0], [ARG.GRAD.QUANTIZED, 1]]);
    else {
      this.rowTask(CMD.GRAD, rows, [[ARG.GRAD.EXACT, exact ? 1 : 0], [ARG.GRAD.QUANTIZED, 0]]);
      const maxes = this.ws.maxes;
      let max = 0;
      for (let u = 0; u < chunksOf(rows); u++) max = Math.max(max, maxes[u]!);
      this.setQuantization(quantization(this.ws.rows, max, this.ws.withHess ? 1 : null));
      this.rowTask(CMD.QUANT, rows, []);
    }
  }

  /**
   * Adds each leaf's value to the scores of its rows (the leaves' ranges of idx hold every row the
   * tree was grown on); `keepExp`, `pairs`: see Objective.addLeaf (pairs: with this quantization).
   * With `nextRoot` (and `pairs`), the next tree's root histograms are built from the new pairs in
   * the same pass, over the features now set (setFeatures). Returns the task whose worker partials
   * `finish` must merge for that root (−1: none).
   */
  updateScores(leaves: readonly LeafRange[], keepExp: boolean, pairs: boolean, nextRoot: RootBuild | null): number {
    const ws = this.ws;
    const t = ws.leafTable;
    leaves.forEach((leaf, j) => {
      t[3 * j] = leaf.start;
      t[3 * j + 1] = leaf.end;
      t[3 * j + 2] = leaf.value;
    });
    if (nextRoot) {
      clearHistograms(ws, 0, nextRoot.slot, this.ctrl.subarray(CTRL.FEATURES), nextRoot.count);
      this.ctrl.set(nextRoot.plan, planOffset(ws.features));
    }
    const S = ARG.SCORE;
    return this.rowTask(CMD.SCORE, ws.rows, [
      [S.LEAVES, leaves.length], [S.KEEP_EXP, keepExp ? 1 : 0], [S.PAIRS, pairs ? 1 : 0],
      [S.SLOT, nextRoot?.slot ?? -1], [S.GROUPS, (nextRoot?.plan.length ?? 0) / 2], [S.COUNT, nextRoot?.count ?? 0],
    ]);
  }

  /** Bin edges of features [from, from + count) from their sampled values (`size` each) staged in the workspace (bin-matrix.ts). */
  binEdges(from: number, count: number, size: number, maxBins: number): void {
    const A = ARG.EDGES;
    this.perFeature(CMD.EDGES, count, [[A.FROM, from], [A.COUNT, count], [A.SIZE, size], [A.MAX_BINS, maxBins]]);
  }

  /** Bin codes of features [from, from + count) from their columns staged in the workspace (bin-matrix.ts). */
  binColumns(from: number, count: number): void {
    this.perFeature(CMD.BIN, count, [[ARG.BIN.FROM, from], [ARG.BIN.COUNT, count]]);
  }

  /** The row records from the column-major bins. */
  transposeBins(): void {
    this.rowTask(CMD.TRANSPOSE, this.ws.rows, []);
  }

  /** A task of one unit per feature of a batch; inline when there are no workers. */
  private perFeature(cmd: number, units: number, args: readonly (readonly [number, number])[]): void {
    if (this.helpers === 0 || units < 2) {
      for (const [i, v] of args) this.ctrl[CTRL.ARGS + i] = v;
      this.runner.runInline(cmd, units);
    } else {
      this.run(cmd, units, args);
    }
  }

  /** A task over rows [0, rows) in chunks; inline (the same units, in order) when small. Returns its number, −1 inline. */
  private rowTask(cmd: number, rows: number, args: readonly (readonly [number, number])[]): number {
    const chunk = cmd === CMD.SCORE ? SCORE_UNIT_ROWS : CHUNK_ROWS;
    const units = Math.ceil(rows / chunk);
    const all = [[0, 0], [1, rows], [2, chunk], ...args] as const;
    if (this.helpers === 0 || units < 2) {
      for (const [i, v] of all) this.ctrl[CTRL.ARGS + i] = v;
      this.runner.runInline(cmd, units);
      return -1;
    }
    return this.run(cmd, units, all);
  }

  /** Publishes a task, works on it, and waits until all its units are done (by whichever thread); returns its number. */
  private run(cmd: number, units: number, args: readonly (readonly [number, number])[]): number {
    if (this.closed) throw teamError('the thread team is closed');
    const { ctrl, word } = this;
    const seq = (this.seq = (this.seq % 0x7ffffffe) + 1);
    Atomics.store(word, 0, claimWord(seq, CLOSED)); // no claim while the arguments change
    ctrl[CTRL.CMD] = cmd;
    ctrl[CTRL.UNITS] = units;
    for (const [i, v] of args) ctrl[CTRL.ARGS + i] = v;
    Atomics.store(ctrl, CTRL.DONE, 0);
    Atomics.store(word, 0, claimWord(seq, 0));
    Atomics.store(ctrl, CTRL.SEQ, seq);
    Atomics.notify(ctrl, CTRL.SEQ);
    this.runner.work(seq);
    const spinUntil = performance.now() + SPIN_MS;
    let deadline = 0;
    for (let done = Atomics.load(ctrl, CTRL.DONE); done !== units; done = Atomics.load(ctrl, CTRL.DONE)) {
      const now = performance.now();
      if (now < spinUntil) continue;
      if (deadline === 0) deadline = now + TASK_TIMEOUT_MS;
      if (now > deadline) throw teamError('a training worker thread stopped responding');
      Atomics.wait(ctrl, CTRL.DONE, done, 1000);
    }
    if (Atomics.load(ctrl, CTRL.FAILED) !== 0) throw teamError('a training worker thread failed');
    return seq;
  }

  /** Idempotent: tells the workers to stop, terminating any that do not within a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.word, 0, claimWord(0, CLOSED));
    Atomics.store(this.ctrl, CTRL.CMD, CMD.STOP);
    Atomics.store(this.ctrl, CTRL.SEQ, -1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
    await this.spawning;
    await Promise.all(this.workers.map((w) => stopWorker(w, 1000)));
  }
}

function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(teamError('a training worker thread did not start in time')), START_TIMEOUT_MS);
    const done = (error?: unknown) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (error === undefined) resolve();
      else reject(teamError('a training worker thread failed to start', error));
    };
    const onMessage = (m: unknown) => { if (m === 'ready') done(); };
    const onError = (e: unknown) => done(e);
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

const teamError = (message: string, cause?: unknown) => new NsError('NS_INTERNAL', message, { cause, retryable: true });
