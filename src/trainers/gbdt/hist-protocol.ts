/**
 * The fork–join protocol between the histogram pool (main side) and its workers: one shared
 * Int32Array of control words. The main thread publishes a task and bumps GEN; every thread, the
 * main one included, claims features through NEXT until none are left; each worker decrements
 * PENDING when done, and the last one wakes the main thread.
 */
import type { SpaceBuffers, SpaceShape } from './histogram.ts';

export const CTRL = {
  GEN: 0,
  PENDING: 1,
  CMD: 2,
  SLOT: 3,
  START: 4,
  END: 5,
  INDEXED: 6,
  /** Number of feature groups; the plan's [from, size] pairs follow the features. */
  GROUPS: 7,
  NEXT: 8,
  FAILED: 9,
  FEATURES: 16,
} as const;

export const CMD = { BUILD: 1, STOP: 2 } as const;

export interface HistWorkerData {
  shape: SpaceShape;
  buffers: SpaceBuffers;
  control: SharedArrayBuffer;
}

export const controlBytes = (features: number): number => (CTRL.FEATURES + 3 * features) * 4;

/** Offset of the plan in the control words. */
export const planOffset = (features: number): number => CTRL.FEATURES + features;
