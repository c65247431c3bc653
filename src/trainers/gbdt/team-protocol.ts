/**
 * The fork–join protocol between the thread team (thread-team.ts, main side) and its workers, over
 * one SharedArrayBuffer of control words. The main thread numbers each task (SEQ), closes the claim
 * word, writes the task's arguments, opens the claim word for the new number, then publishes SEQ.
 * Every thread, the main one included, claims units through the claim word — a 64-bit [task
 * number, next unit] pair claimed by compare-and-swap, so a worker that wakes late can never claim
 * a unit of a later task with the arguments of an earlier one — and counts each finished unit in
 * DONE. The main thread waits for DONE = units only: a worker that is slow to wake costs nothing.
 * Units are independent (row ranges, features, chunks of rows), and each gives the same result
 * whichever thread runs it (histogram sums are exact, quantize.ts), so results never depend on the
 * thread count.
 */
import type { GbdtObjectiveName } from './params.ts';
import { chunksOf, type WorkspaceShape } from './workspace.ts';

/** Int32 word indices; words 0–1 hold the 64-bit claim word. */
export const CTRL = {
  SEQ: 2,
  DONE: 3,
  CMD: 4,
  FAILED: 5,
  /** Number of units of the current task. */
  UNITS: 6,
  /** The current quantization (quantize.ts): gExp, hExp, countBits. */
  QUANT: 8,
  /** Task arguments (meaning per command, see ARG). */
  ARGS: 12,
  /** Then: the features (one word each), the plan ([from, size] pairs), per thread the last HIST task it took part in, the per-chunk left counts. */
  FEATURES: 28,
} as const;

/** The unit half of a closed claim word: more than any task has. */
export const CLOSED = 0x7fffffff;

/** The claim word for task `seq` with `unit` as the next unit to hand out. */
export const claimWord = (seq: number, unit: number): bigint => (BigInt(seq) << 32n) | BigInt(unit);

export const CMD = {
  STOP: 1,
  /** Histograms of a leaf's rows: one unit per range of rows, into the claiming thread's buffer. */
  HIST: 2,
  /** After a build, one unit per feature: merge the partials, derive the sibling, find each leaf's best split. */
  FINISH: 3,
  /** Partition phase 1 (per chunk): rows to scratch, left count into the chunk words. */
  SCAN: 4,
  /** Partition phase 2 (per chunk): rows from scratch to their final place in idx; then, when a child is built, its rows of the chunk into the thread's histograms. */
  PLACE: 5,
  /** Gradients of rows, per chunk (quantized, or float64 with the chunk's largest |g|). */
  GRAD: 6,
  /** Float64 gradient pairs quantized in place, per chunk. */
  QUANT: 7,
  /**
   * Score update from the leaf table, per range of row ids (so no two threads write one cache line);
   * then, with PAIRS, the next gradient pairs of the range, and with a SLOT, the range added to the
   * next tree's root histograms.
   */
  SCORE: 8,
  /** Bin edges of a batch of features, one unit each, from their sampled values staged in the workspace. */
  EDGES: 9,
  /** Bin codes of a batch of features, one unit each, from their columns staged in the workspace. */
  BIN: 10,
  /** The row records from the column-major bins, per chunk of rows. */
  TRANSPOSE: 11,
} as const;

/** Argument words per command, at CTRL.ARGS + i. */
export const ARG = {
  HIST: { SLOT: 0, START: 1, END: 2, MODE: 3, UNIT_ROWS: 4, GROUPS: 5, COUNT: 6 },
  FINISH: { SMALL: 0, LARGE: 1, SUBTRACT: 2, EVAL_SMALL: 3, EVAL_LARGE: 4, HIST_SEQ: 5, COUNT: 6, SMALL_TOTALS: 7 },
  SCAN: { START: 0, END: 1, CHUNK: 2, FEATURE: 3, BIN: 4, MISSING_LEFT: 5 },
  PLACE: { START: 0, END: 1, CHUNK: 2, MID: 3, GATHER_LEFT: 4, GATHER_RIGHT: 5, SLOT: 6, BUILD_LEFT: 7, MODE: 8, GROUPS: 9, COUNT: 10 },
  GRAD: { START: 0, END: 1, CHUNK: 2, EXACT: 3, QUANTIZED: 4 },
  QUANT: { START: 0, END: 1, CHUNK: 2 },
  SCORE: { START: 0, END: 1, CHUNK: 2, LEAVES: 3, KEEP_EXP: 4, PAIRS: 5, SLOT: 6, GROUPS: 7, COUNT: 8 },
  EDGES: { FROM: 0, COUNT: 1, SIZE: 2, MAX_BINS: 3 },
  BIN: { FROM: 0, COUNT: 1 },
} as const;

/**
 * Float64 words of the workspace's `args` (workspace.ts) for FINISH: each leaf's sums ([G, H,
 * count] at LEAF + 3 · child; with SMALL_TOTALS the first leaf's are computed from its histogram
 * and written there), and the split rules, written once per training.
 */
export const SPLIT_ARGS = { LEAF: 0, L2: 8, MIN_SAMPLES_LEAF: 9, MIN_CHILD_WEIGHT: 10, MIN_SPLIT_GAIN: 11 } as const;

export interface TeamWorkerData {
  shape: WorkspaceShape;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  objective: GbdtObjectiveName;
  /** This worker's thread number (1…threads − 1; the calling thread is 0). */
  thread: number;
}

/** How long a thread polls for the next task (or the workers' end) before it sleeps in Atomics.wait. */
export const SPIN_MS = 0.5;

export const planOffset = (features: number): number => CTRL.FEATURES + features;
export const usedOffset = (features: number): number => CTRL.FEATURES + 3 * features;
export const chunkOffset = (features: number, threads: number): number => usedOffset(features) + threads;
export const controlBytes = (shape: WorkspaceShape): number =>
  (chunkOffset(shape.features, shape.threads) + chunksOf(shape.rows) + 1) * 4;
