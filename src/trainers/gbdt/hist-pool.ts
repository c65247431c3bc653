/**
 * Parallel histogram building across features with worker threads over shared memory. The calling
 * thread takes part and blocks (Atomics.wait) until the workers finish, so the grower stays a plain
 * synchronous loop; it runs inside a training worker, never on the API's event loop. Each feature's
 * histogram is summed by one thread in row order, so results equal the serial builder's exactly.
 */
import type { Worker } from 'node:worker_threads';
import { NsError } from '../../errors.ts';
import { buildGroup, type HistogramBuilder, type HistogramSpace, type SpaceBuffers, type SpaceShape } from './histogram.ts';
import { CMD, controlBytes, CTRL, planOffset, type HistWorkerData } from './hist-protocol.ts';
import { spawnModuleWorker, stopWorker } from '../worker/spawn-worker.ts';

/** Below this many rows a leaf is built on the calling thread: waking workers would cost more. */
const MIN_PARALLEL_ROWS = 8192;
const START_TIMEOUT_MS = 30_000;
/** Bound on one parallel build; a worker that stops responding fails the training, never hangs it. */
const BUILD_TIMEOUT_MS = 300_000;

export class HistogramPool implements HistogramBuilder {
  private closed = false;

  private constructor(
    private readonly space: HistogramSpace,
    private readonly ctrl: Int32Array,
    private readonly workers: Worker[],
  ) {}

  /** Starts `threads − 1` workers (the caller is the last thread) and waits until they are ready. */
  static async create(space: HistogramSpace, shape: SpaceShape, buffers: SpaceBuffers, threads: number): Promise<HistogramPool> {
    const control = new SharedArrayBuffer(controlBytes(shape.features));
    const data: HistWorkerData = { shape, buffers, control };
    const workers: Worker[] = [];
    const pool = new HistogramPool(space, new Int32Array(control), workers);
    try {
      for (let i = 1; i < threads; i++) workers.push(spawnModuleWorker(new URL('./hist-worker.ts', import.meta.url), { workerData: data }));
      for (const w of workers) w.on('error', () => Atomics.store(pool.ctrl, CTRL.FAILED, 1)); // never unhandled
      await Promise.all(workers.map((w) => ready(w)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  build(slot: number, start: number, end: number, indexed: boolean, features: Int32Array, plan: readonly number[]): void {
    const space = this.space;
    const groups = plan.length / 2;
    if (end - start < MIN_PARALLEL_ROWS || groups < 2) {
      for (let j = 0; j < plan.length; j += 2) buildGroup(space, features, plan[j]!, plan[j + 1]!, slot, start, end, indexed);
      return;
    }
    const ctrl = this.ctrl;
    ctrl[CTRL.CMD] = CMD.BUILD;
    ctrl[CTRL.SLOT] = slot;
    ctrl[CTRL.START] = start;
    ctrl[CTRL.END] = end;
    ctrl[CTRL.INDEXED] = indexed ? 1 : 0;
    ctrl[CTRL.GROUPS] = groups;
    ctrl.set(features, CTRL.FEATURES);
    ctrl.set(plan, planOffset(space.features));
    Atomics.store(ctrl, CTRL.NEXT, 0);
    Atomics.store(ctrl, CTRL.PENDING, this.workers.length);
    Atomics.add(ctrl, CTRL.GEN, 1);
    Atomics.notify(ctrl, CTRL.GEN);
    for (let j = Atomics.add(ctrl, CTRL.NEXT, 1); j < groups; j = Atomics.add(ctrl, CTRL.NEXT, 1)) {
      buildGroup(space, features, plan[2 * j]!, plan[2 * j + 1]!, slot, start, end, indexed);
    }
    const deadline = performance.now() + BUILD_TIMEOUT_MS;
    for (let pending = Atomics.load(ctrl, CTRL.PENDING); pending !== 0; pending = Atomics.load(ctrl, CTRL.PENDING)) {
      if (performance.now() > deadline) throw poolError('a histogram worker stopped responding');
      Atomics.wait(ctrl, CTRL.PENDING, pending, 1000);
    }
    if (Atomics.load(ctrl, CTRL.FAILED) !== 0) throw poolError('a histogram worker failed');
  }

  /** Idempotent: tells the workers to stop, terminating any that do not within a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctrl, CTRL.CMD, CMD.STOP);
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
    await Promise.all(this.workers.map((w) => stopWorker(w, 1000)));
  }
}

function ready(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(poolError('a histogram worker did not start in time')), START_TIMEOUT_MS);
    const done = (error?: unknown) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (error === undefined) resolve();
      else reject(poolError('a histogram worker failed to start', error));
    };
    const onMessage = (m: unknown) => { if (m === 'ready') done(); };
    const onError = (e: unknown) => done(e);
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

const poolError = (message: string, cause?: unknown) => new NsError('NS_INTERNAL', message, { cause, retryable: true });
