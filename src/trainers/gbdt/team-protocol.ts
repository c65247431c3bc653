/**
 * The fork–join protocol between the thread team (thread-team.ts, main side) and its workers, over
 * one SharedArrayBuffer of control words. The main thread numbers each task (SEQ), closes the claim
 * word, writes the task's arguments, opens the claim word for the new number, then publishes SEQ.
 * Every thread, the main one included, claims units through the claim word — a 64-bit [task
 * number, next unit] pair claimed by compare-and-swap, so a worker that wakes late can never claim
 * a unit of a later task with the arguments of an earlier one — and counts each finished unit in
 * DONE. The main thread waits for DONE = units only: a worker that is slow to wake costs nothing.
 * Units are independent (feature groups, or chunks of rows), and each is computed the same way
 * whichever thread claims it, so results never depend on the thread count.
 */
import type { GbdtObjectiveName } from './params.ts';
import type { WorkspaceShape } from './workspace.ts';

/** Int32 word indices; words 0–1 hold the 64-bit claim word. */
export const CTRL = {
  SEQ: 2,
  DONE: 3,
  CMD: 4,
  FAILED: 5,
  /** Number of units of the current task. */
  UNITS: 6,
  /** Task arguments (meaning per command, see ARG). */
  ARGS: 8,
  /** Then: the features (one word each), the plan ([from, size] pairs), the per-chunk left counts. */
  FEATURES: 24,
} as const;

/** The unit half of a closed claim word: more than any task has. */
export const CLOSED = 0x7fffffff;

/** The claim word for task `seq` with `unit` as the next unit to hand out. */
export const claimWord = (seq: number, unit: number): bigint => (BigInt(seq) << 32n) | BigInt(unit);

export const CMD = {
  STOP: 1,
  /** Histograms of a leaf: one unit per feature group of the plan. */
  HIST: 2,
  /** Partition phase 1 (per chunk): rows to scratch, left count into the chunk words. */
  SCAN: 3,
  /** Partition phase 2 (per chunk): rows from scratch to their final place in idx. */
  PLACE: 4,
  /** Gradients of rows, per chunk. */
  GRAD: 5,
  /** Score update from the leaf table, per chunk of idx positions. */
  SCORE: 6,
} as const;

/** Argument words per command, at CTRL.ARGS + i. */
export const ARG = {
  HIST: { SLOT: 0, START: 1, END: 2, INDEXED: 3 },
  SCAN: { START: 0, END: 1, CHUNK: 2, FEATURE: 3, BIN: 4, MISSING_LEFT: 5 },
  PLACE: { START: 0, END: 1, CHUNK: 2, MID: 3, GATHER_LEFT: 4, GATHER_RIGHT: 5 },
  GRAD: { START: 0, END: 1, CHUNK: 2, EXACT: 3 },
  SCORE: { START: 0, END: 1, CHUNK: 2, LEAVES: 3, KEEP_EXP: 4 },
} as const;

export interface TeamWorkerData {
  shape: WorkspaceShape;
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  objective: GbdtObjectiveName;
}

/** How long a thread polls for the next task (or the workers' end) before it sleeps in Atomics.wait. */
export const SPIN_MS = 0.5;

/** Rows per chunk of a parallel partition, gradient or score pass. */
export const CHUNK_ROWS = 8192;

export const planOffset = (features: number): number => CTRL.FEATURES + features;
export const chunkOffset = (features: number): number => CTRL.FEATURES + 3 * features;
export const controlBytes = (features: number, rows: number): number =>
  (chunkOffset(features) + Math.ceil(rows / CHUNK_ROWS) + 1) * 4;
