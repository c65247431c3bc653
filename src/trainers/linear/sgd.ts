/**
 * Mini-batch SGD on standardised inputs: squared loss (regression) or log loss (binary), L2 on the
 * weights (not the bias). Rows are shuffled each epoch by a seeded generator, so a seed reproduces
 * the run bit for bit. The loop yields to the event loop every ~YIELD_EVERY_MS so an AbortSignal
 * (and heartbeats) can fire; it checks the signal before every batch.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { NsError } from '../../errors.ts';
import type { FeatureInfo, Matrix, Task, TrainProgress } from '../types.ts';
import { learningRateAt, type LinearParams } from './params.ts';
import { identityOrder, seededRandom, shuffleInPlace } from '../random.ts';
import { rowEncoder, type Standardizer } from './standardizer.ts';

const YIELD_EVERY_MS = 10;

export interface LinearWeights {
  weights: Float64Array;
  bias: number;
}

export interface SgdRun {
  features: readonly FeatureInfo[];
  standardizer: Standardizer;
  params: Readonly<LinearParams>;
  seed: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: TrainProgress) => void) | undefined;
  /** Optional validation rows; their loss is reported as validLoss each epoch. */
  valid?: { X: Matrix; y: Float64Array } | undefined;
}

/** Per-row loss given the raw score z: ½(z − y)² or the log loss of sigmoid(z). */
export function rowLoss(task: Task, z: number, y: number): number {
  if (task === 'regression') return 0.5 * (z - y) * (z - y);
  // log(1 + e^{−|z|}) + max(z, 0) − y·z, stable for any z.
  return Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - y * z;
}

/** The gradient of rowLoss with respect to z: z − y, or sigmoid(z) − y. */
function rowGradient(task: Task, z: number, y: number): number {
  return task === 'regression' ? z - y : sigmoid(z) - y;
}

export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Raw scores (before the sigmoid) for every row of X. */
export function scores(features: readonly FeatureInfo[], st: Standardizer, w: LinearWeights, X: Matrix): Float64Array {
  const encode = rowEncoder(features, st, X);
  const row = new Float64Array(st.layout.length);
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    encode(i, row);
    out[i] = dot(w, row);
  }
  return out;
}

/** Mean rowLoss over a set. */
export function meanLoss(task: Task, features: readonly FeatureInfo[], st: Standardizer, w: LinearWeights, X: Matrix, y: Float64Array): number {
  const z = scores(features, st, w, X);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += rowLoss(task, z[i]!, y[i]!);
  return z.length === 0 ? 0 : sum / z.length;
}

/**
 * Runs `params.epochs` epochs of mini-batch SGD starting from `start` (not modified) and returns
 * the new weights. Throws NS_JOB_CANCELLED when the signal aborts, NS_JOB_FAILED on divergence.
 */
export async function runSgd(run: SgdRun, start: LinearWeights, X: Matrix, y: Float64Array): Promise<LinearWeights> {
  const { features, standardizer, params, signal } = run;
  const task = params.task;
  const width = standardizer.layout.length;
  const encode = rowEncoder(features, standardizer, X);
  const weights = Float64Array.from(start.weights);
  let bias = start.bias;
  const grad = new Float64Array(width);
  const row = new Float64Array(width);
  const random = seededRandom(run.seed);
  const order = identityOrder(X.rows);
  let lastYield = performance.now();

  for (let epoch = 0; epoch < params.epochs; epoch++) {
    const lr = learningRateAt(params, epoch);
    shuffleInPlace(order, random);
    let lossSum = 0;
    for (let from = 0; from < X.rows; from += params.batchSize) {
      if (performance.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      throwIfAborted(signal, epoch);
      const to = Math.min(from + params.batchSize, X.rows);
      grad.fill(0);
      let gradBias = 0;
      for (let k = from; k < to; k++) {
        const i = order[k]!;
        encode(i, row);
        let z = bias;
        for (let c = 0; c < width; c++) z += weights[c]! * row[c]!;
        const yi = y[i]!;
        lossSum += rowLoss(task, z, yi);
        const g = rowGradient(task, z, yi);
        gradBias += g;
        for (let c = 0; c < width; c++) grad[c]! += g * row[c]!;
      }
      const step = lr / (to - from);
      for (let c = 0; c < width; c++) weights[c] = weights[c]! - step * grad[c]! - lr * params.l2 * weights[c]!;
      bias -= step * gradBias;
    }
    const trainLoss = lossSum / X.rows;
    if (!Number.isFinite(trainLoss) || !Number.isFinite(bias)) {
      throw new NsError(
        'NS_JOB_FAILED',
        `learningRate=${params.learningRate}: linear SGD diverged in epoch ${epoch + 1} (train loss ${trainLoss}); lower it, example 0.01`,
        { field: 'learningRate', details: { epoch: epoch + 1, trainLoss } },
      );
    }
    const progress: TrainProgress = { iteration: epoch + 1, trainLoss };
    if (run.valid !== undefined) {
      progress.validLoss = meanLoss(task, features, standardizer, { weights, bias }, run.valid.X, run.valid.y);
    }
    run.onProgress?.(progress);
  }
  throwIfAborted(signal, params.epochs - 1);
  return { weights, bias };
}

function dot(w: LinearWeights, row: Float64Array): number {
  let z = w.bias;
  for (let c = 0; c < row.length; c++) z += w.weights[c]! * row[c]!;
  return z;
}

function throwIfAborted(signal: AbortSignal | undefined, epoch: number): void {
  if (signal?.aborted) {
    throw new NsError('NS_JOB_CANCELLED', `linear training aborted in epoch ${epoch + 1}`, {
      cause: signal.reason,
      details: { epoch: epoch + 1 },
    });
  }
}
