/**
 * The threads a training run works with: the calling thread plus `threads − 1` workers over the
 * shared workspace. Every per-row pass goes through here — histograms (split by feature groups),
 * the row partition after a split, gradients and score updates (split by chunks of rows) — so the
 * grower stays a plain synchronous loop. The calling thread takes part in each task and blocks
 * (Atomics.wait) until the workers finish; it runs inside a training worker, never on the API's
 * event loop. With one thread, or a small task, the same unit functions run inline.
 */
import { entryUrl } from '../../entries.ts';
import type { Worker } from 'node:worker_threads';
import { NsError } from '../../errors.ts';
import { buildGroup } from './histogram.ts';
import type { Objective } from './objective.ts';
import type { SplitCandidate } from './split.ts';
import { ARG, CHUNK_ROWS, chunkOffset, claimWord, CLOSED, CMD, controlBytes, CTRL, planOffset, SPIN_MS, type TeamWorkerData } from './team-protocol.ts';
import { gradientChunk, partitionLeaf, scoreChunk, work } from './team-tasks.ts';
import type { Workspace } from './workspace.ts';
import { spawnModuleWorker, stopWorker } from '../worker/spawn-worker.ts';

/** Below this many rows a histogram task runs on the calling thread: waking workers would cost more. */
const MIN_PARALLEL_HIST_ROWS = 2048;
/** Below this many rows a partition runs on the calling thread, as one chunk. */
const MIN_PARALLEL_PARTITION_ROWS = 2 * CHUNK_ROWS;
const START_TIMEOUT_MS = 30_000;
/** Bound on one task; a worker that stops responding fails the training, never hangs it. */
const TASK_TIMEOUT_MS = 300_000;

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
  private readonly started: Promise<void>;

  private constructor(
    private readonly ws: Workspace,
    private readonly objective: Objective,
    private readonly workers: Worker[],
    control: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(control);
    this.word = new BigInt64Array(control, 0, 1);
    Atomics.store(this.word, 0, claimWord(0, CLOSED));
    for (const w of workers) w.on('error', () => Atomics.store(this.ctrl, CTRL.FAILED, 1)); // never unhandled
    this.started = Promise.all(workers.map((w) => ready(w))).then(() => undefined);
    this.started.catch(() => undefined); // observed by start()
  }

  /**
   * Spawns the workers at once (they load while the caller bins the data); `start()` waits until
   * they are ready. The workspace memory must already exist; its contents may be filled later.
   */
  static spawn(ws: Workspace, objective: Objective, threads: number): ThreadTeam {
    const control = new SharedArrayBuffer(controlBytes(ws.features, ws.rows));
    const data: TeamWorkerData = {
      shape: { rows: ws.rows, features: ws.features, slots: ws.slots, leaves: ws.leaves, treeNodes: ws.treeNodes, withHess: ws.withHess },
      memory: ws.memory,
      module: ws.module,
      control,
      objective: objective.name,
    };
    const workers: Worker[] = [];
    for (let i = 1; i < threads; i++) workers.push(spawnModuleWorker(entryUrl('gbdt-team-worker'), { workerData: data }));
    return new ThreadTeam(ws, objective, workers, control);
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
    return this.workers.length + 1;
  }

  /** Histograms of `features` (grouped by `plan`, see planGroups) for the rows [start, end) into `slot`. */
  histograms(slot: number, start: number, end: number, indexed: boolean, features: Int32Array, plan: readonly number[]): void {
    const groups = plan.length / 2;
    if (this.workers.length === 0 || end - start < MIN_PARALLEL_HIST_ROWS || groups < 2) {
      for (let j = 0; j < plan.length; j += 2) buildGroup(this.ws, features, plan[j]!, plan[j + 1]!, slot, start, end, indexed);
      return;
    }
    const ctrl = this.ctrl;
    ctrl.set(features, CTRL.FEATURES);
    ctrl.set(plan, planOffset(this.ws.features));
    const A = ARG.HIST;
    this.run(CMD.HIST, groups, [[A.SLOT, slot], [A.START, start], [A.END, end], [A.INDEXED, indexed ? 1 : 0]]);
  }

  /**
   * Stable partition of idx[start, end) by the split: rows going left first, the right ones from
   * `mid` (start + left count, known exactly from the histogram). The rows of a side to be built
   * next get their gradient pairs gathered into ogh on the way.
   */
  partition(start: number, end: number, mid: number, split: SplitCandidate, gatherLeft: boolean, gatherRight: boolean): void {
    const ws = this.ws;
    let lefts: number;
    if (this.workers.length === 0 || end - start < MIN_PARALLEL_PARTITION_ROWS) {
      lefts = partitionLeaf(ws, start, end, mid, split.feature, split.bin, split.missingLeft, gatherLeft, gatherRight);
    } else {
      const ctrl = this.ctrl;
      const units = Math.ceil((end - start) / CHUNK_ROWS);
      const S = ARG.SCAN;
      this.run(CMD.SCAN, units, [[S.START, start], [S.END, end], [S.CHUNK, CHUNK_ROWS], [S.FEATURE, split.feature], [S.BIN, split.bin], [S.MISSING_LEFT, split.missingLeft ? 1 : 0]]);
      // Per-chunk left counts → exclusive prefix sums (one more word: the total).
      const base = chunkOffset(ws.features);
      lefts = 0;
      for (let u = 0; u < units; u++) {
        const c = ctrl[base + u]!;
        ctrl[base + u] = lefts;
        lefts += c;
      }
      ctrl[base + units] = lefts;
      const P = ARG.PLACE;
      if (lefts === mid - start) {
        this.run(CMD.PLACE, units, [[P.START, start], [P.END, end], [P.CHUNK, CHUNK_ROWS], [P.MID, mid], [P.GATHER_LEFT, gatherLeft ? 1 : 0], [P.GATHER_RIGHT, gatherRight ? 1 : 0]]);
      }
    }
    if (lefts !== mid - start) throw new Error(`partition: ${lefts} rows went left, the histogram counted ${mid - start}`);
  }

  /** Gradient pairs of rows [0, rows) from the current scores (`exact`: see Objective.gradients). */
  gradients(rows: number, exact: boolean): void {
    if (this.workers.length === 0 || rows < 2 * CHUNK_ROWS) {
      gradientChunk(this.ws, this.objective, 0, rows, exact);
      return;
    }
    const G = ARG.GRAD;
    this.run(CMD.GRAD, Math.ceil(rows / CHUNK_ROWS), [[G.START, 0], [G.END, rows], [G.CHUNK, CHUNK_ROWS], [G.EXACT, exact ? 1 : 0]]);
  }

  /**
   * Adds each leaf's value to the scores of its rows (the leaves cover idx[0, rows));
   * `keepExp`: see Objective.addLeaf.
   */
  updateScores(leaves: readonly LeafRange[], rows: number, keepExp: boolean): void {
    const t = this.ws.leafTable;
    leaves.forEach((leaf, j) => {
      t[3 * j] = leaf.start;
      t[3 * j + 1] = leaf.end;
      t[3 * j + 2] = leaf.value;
    });
    if (this.workers.length === 0 || rows < 2 * CHUNK_ROWS) {
      scoreChunk(this.ws, this.objective, 0, rows, leaves.length, keepExp);
      return;
    }
    const S = ARG.SCORE;
    this.run(CMD.SCORE, Math.ceil(rows / CHUNK_ROWS), [[S.START, 0], [S.END, rows], [S.CHUNK, CHUNK_ROWS], [S.LEAVES, leaves.length], [S.KEEP_EXP, keepExp ? 1 : 0]]);
  }

  /** Publishes a task, works on it, and waits until all its units are done (by whichever thread). */
  private run(cmd: number, units: number, args: readonly (readonly [number, number])[]): void {
    if (this.closed) throw teamError('the thread team is closed');
    const { ctrl, word } = this;
    const seq = (this.seq = (this.seq + 1) & 0x7fffffff);
    Atomics.store(word, 0, claimWord(seq, CLOSED)); // no claim while the arguments change
    ctrl[CTRL.CMD] = cmd;
    ctrl[CTRL.UNITS] = units;
    for (const [i, v] of args) ctrl[CTRL.ARGS + i] = v;
    Atomics.store(ctrl, CTRL.DONE, 0);
    Atomics.store(word, 0, claimWord(seq, 0));
    Atomics.store(ctrl, CTRL.SEQ, seq);
    Atomics.notify(ctrl, CTRL.SEQ);
    work(this.ws, ctrl, word, seq, this.objective);
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
  }

  /** Idempotent: tells the workers to stop, terminating any that do not within a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.word, 0, claimWord(0, CLOSED));
    Atomics.store(this.ctrl, CTRL.CMD, CMD.STOP);
    Atomics.store(this.ctrl, CTRL.SEQ, -1);
    Atomics.notify(this.ctrl, CTRL.SEQ);
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
