/**
 * Raw scores of a large batch of rows in WebAssembly, on one thread or several. The rows are binned
 * with the model's own edges (kernels-trees.ts binValues: the codes training used) and the trees
 * walked over the bin codes (walkForest over the encoded trees, forest.ts): rows route exactly as
 * their raw values do, and each row's trees are added in model order, so every score is the one
 * predict.ts computes, bit for bit, whatever the thread count.
 *
 * Rows are split into units of UNIT_ROWS, each binned and walked by whichever thread claims it (a
 * counter in shared memory). With `threads` > 1 the calling thread spawns `threads − 1` short-lived
 * workers (plain JavaScript, no module to load, so they start in milliseconds), works on units
 * itself from the start — a worker that is slow to start only joins later — and blocks until the
 * last unit is done; the workers then end on their own.
 */
import { Worker } from 'node:worker_threads';
import { NsError } from '../../errors.ts';
import type { GbdtBody, Matrix } from '../types.ts';
import { HIST_BINS } from './bin-codes.ts';
import { encodeForest, forestBytes } from './forest.ts';
import { instantiateKernels, kernelModule, type Kernels } from './kernels.ts';
import { splitBinsOf } from './predict.ts';

/** Below this many rows the JavaScript walk (predict.ts) is as fast: no memory to set up. */
export const BATCH_MIN_ROWS = 1000;
/** Below this many rows a batch stays on the calling thread whatever the thread budget. */
export const PARALLEL_MIN_ROWS = 10_000;
/** Rows per unit: their bin codes (rows × features bytes) stay in cache while every tree walks them. */
const UNIT_ROWS = 2048;
/** Bound on a batch; a worker that stops responding fails the call, never hangs it. */
const TIMEOUT_MS = 300_000;
const PAGE_BYTES = 65_536;

/** The trees encoded for walkForest at address 0 (columns one byte apart: rows of bin codes are row-major). */
export interface EncodedForest {
  readonly bytes: Uint8Array;
  readonly trees: number;
}

/** The model's trees encoded for batch prediction, or null when a threshold is not one of its bin edges. */
export function encodeModelForest(body: GbdtBody): EncodedForest | null {
  const splitBins: number[][] = [];
  for (const t of body.trees) {
    const bins = splitBinsOf(t, body.binEdges);
    if (bins === null) return null;
    splitBins.push(bins);
  }
  const buffer = new ArrayBuffer(forestBytes(body.trees));
  encodeForest(body.trees, splitBins, 1, buffer, 0);
  return { bytes: new Uint8Array(buffer), trees: body.trees.length };
}

/**
 * Int32 words of the shared control block: the unit counters, then the batch's layout (byte
 * addresses; the forest is at 0, the tables are 256 float64 per feature), then each feature's top
 * bin. predictUnit and claimUnits read them by number, as they cannot refer to this object.
 */
const W = { NEXT: 0, DONE: 1, FAILED: 2, UNITS: 3, UNIT_ROWS: 4, ROWS: 5, FEATURES: 6, TREES: 7, TABLES: 8, COLUMNS: 9, BINS: 10, RAW: 11, TOPS: 12 } as const;

/**
 * Unit u of a batch: bins its rows (every feature, row-major codes) and adds every tree's value to
 * their raw scores. Self-contained (no closure, no import): workers run it from its source text.
 */
function predictUnit(k: Kernels, c: Int32Array, u: number): void {
  const [unitRows, rows, features, trees, tables, columns, bins, raw] = [c[4]!, c[5]!, c[6]!, c[7]!, c[8]!, c[9]!, c[10]!, c[11]!];
  const a = u * unitRows;
  const b = Math.min(rows, a + unitRows);
  for (let f = 0; f < features; f++) k.binValues(columns + 8 * (f * rows + a), tables + f * 2048, bins + a * features + f, b - a, c[12 + f]!, features);
  k.walkForest(0, trees, bins, features, a, b, raw);
}

/** Claims and runs units until none is left; counts each in DONE (a failure sets FAILED). */
function claimUnits(k: Kernels, c: Int32Array, unit: typeof predictUnit): void {
  const units = c[3]!;
  for (let u = Atomics.add(c, 0, 1); u < units; u = Atomics.add(c, 0, 1)) {
    try {
      unit(k, c, u);
    } catch (error) {
      Atomics.store(c, 2, 1);
      throw error;
    } finally {
      if (Atomics.add(c, 1, 1) + 1 === units) Atomics.notify(c, 1);
    }
  }
}

/** A worker's whole program: instantiate the kernels over the batch's memory and claim units. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const k = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
const predictUnit = ${predictUnit.toString()};
(${claimUnits.toString()})(k, new Int32Array(workerData.control), predictUnit);
`;

/** Raw scores of every row of X (already checked against the model) into a new array starting at baseScore. */
export function predictBatchRaw(body: GbdtBody, forest: EncodedForest, X: Matrix, threads: number): Float64Array {
  const rows = X.rows;
  const d = X.columns.length;
  const units = Math.ceil(rows / UNIT_ROWS);
  const helpers = rows >= PARALLEL_MIN_ROWS ? Math.min(Math.max(1, Math.floor(threads)), units) - 1 : 0;
  const align = (n: number) => Math.ceil(n / 16) * 16;
  const tables = align(forest.bytes.length);
  const columns = tables + d * HIST_BINS * 8;
  const bins = columns + align(8 * rows * d);
  const raw = bins + align(rows * d);
  const pages = Math.ceil((raw + 8 * rows) / PAGE_BYTES);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }); // the kernels import a shared memory
  const buffer = memory.buffer;
  new Uint8Array(buffer).set(forest.bytes, 0);
  const f64 = new Float64Array(buffer);
  const control = new Int32Array(new SharedArrayBuffer(4 * (W.TOPS + d)));
  control.set([0, 0, 0, units, UNIT_ROWS, rows, d, forest.trees, tables, columns, bins, raw]);
  for (let f = 0; f < d; f++) {
    const edges = body.binEdges[f]!;
    const table = f64.subarray((tables >> 3) + f * HIST_BINS, (tables >> 3) + (f + 1) * HIST_BINS);
    table.fill(Infinity);
    for (let i = 0; i < edges.length - 1; i++) table[i] = edges[i]!;
    control[W.TOPS + f] = Math.max(0, edges.length - 1);
    f64.set(X.columns[f]!.subarray(0, rows), (columns >> 3) + f * rows);
  }
  const out = f64.subarray(raw >> 3, (raw >> 3) + rows);
  out.fill(body.baseScore);
  const module = kernelModule();
  const workers: Worker[] = [];
  for (let i = 0; i < helpers; i++) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: control.buffer } });
    w.unref();
    w.on('error', () => Atomics.store(control, W.FAILED, 1)); // never unhandled; reported below
    workers.push(w);
  }
  claimUnits(instantiateKernels(module, memory), control, predictUnit);
  const deadline = performance.now() + TIMEOUT_MS;
  for (let done = Atomics.load(control, W.DONE); done < units; done = Atomics.load(control, W.DONE)) {
    if (performance.now() > deadline) break;
    Atomics.wait(control, W.DONE, done, 1000);
  }
  if (Atomics.load(control, W.DONE) < units || Atomics.load(control, W.FAILED) !== 0) {
    for (const w of workers) void w.terminate();
    throw new NsError('NS_INTERNAL', 'a prediction worker thread failed or stopped responding', { retryable: true });
  }
  return out.slice();
}
