/**
 * Linear and logistic regression trained by mini-batch SGD on standardised features.
 *
 * Full mode: `trainLinear(set, params, ctx)` learns the standardiser and the weights from scratch.
 * Incremental mode: `trainLinear(set, params, ctx, { initModel })` keeps initModel's standardiser
 * and continues from its weights (same as `initModel.partialFit`).
 */
import { NsError } from '../../errors.ts';
import type { TrainContext, TrainingSet } from '../types.ts';
import { checkLabels, LinearModel } from './model.ts';
import { resolveLinearParams, type LinearParams } from './params.ts';
import { runSgd } from './sgd.ts';
import { fitStandardizer } from './standardizer.ts';


export interface TrainLinearOptions {
  /** Continue from this model (incremental mode). */
  initModel?: LinearModel;
  /** Rows whose loss is reported as validLoss each epoch (not trained on). */
  valid?: TrainingSet;
  /** Stored in the artifact so the model predicts from raw rows anywhere. */
  featureSpec?: unknown;
}

/**
 * Trains a linear (task 'regression') or logistic (task 'binary') model. `params` is validated
 * (NS_VALIDATION naming the field); with initModel the task defaults to the model's and must match.
 * Progress is reported per epoch; ctx.signal aborts with NS_JOB_CANCELLED.
 */
export async function trainLinear(
  set: TrainingSet,
  params: Partial<LinearParams> | Record<string, unknown>,
  ctx: TrainContext,
  options: TrainLinearOptions = {},
): Promise<LinearModel> {
  const { initModel } = options;
  if (initModel !== undefined) {
    if (params.task !== undefined && params.task !== initModel.task) {
      throw new NsError('NS_VALIDATION', `task="${String(params.task)}": the initial model is "${initModel.task}"; example "${initModel.task}"`, {
        field: 'task',
      });
    }
    const { task: _task, ...overrides } = params;
    return initModel.partialFit(set, ctx, {
      overrides: overrides as Partial<LinearParams>,
      ...(options.valid ? { valid: options.valid } : {}),
    });
  }

  const resolved = resolveLinearParams(params);
  checkLabels(resolved.task, set);
  const standardizer = fitStandardizer(set.features, set.X);
  const weights = await runSgd(
    {
      features: set.features,
      standardizer,
      params: resolved,
      seed: resolved.seed ?? ctx.seed,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      valid: options.valid,
    },
    { weights: new Float64Array(standardizer.layout.length), bias: initialBias(resolved.task, set.y) },
    set.X,
    set.y,
  );
  return new LinearModel({
    features: set.features,
    params: resolved,
    standardizer,
    weights,
    featureSpec: options.featureSpec,
  });
}

/** Start at the best constant model: mean of y, or the log-odds of the positive rate (clipped). */
function initialBias(task: LinearParams['task'], y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += y[i]!;
  const mean = sum / y.length;
  if (task === 'regression') return mean;
  const p = Math.min(Math.max(mean, 1e-6), 1 - 1e-6);
  return Math.log(p / (1 - p));
}
