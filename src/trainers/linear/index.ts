/**
 * Linear and logistic regression trained by mini-batch SGD on standardised features.
 *
 * Full mode: `trainLinear(set, params, ctx)` learns the standardiser and the weights from scratch.
 * Incremental mode: `trainLinear(set, params, ctx, { initModel })` keeps initModel's standardiser
 * and continues from its weights (same as `initModel.partialFit`).
 */
export { trainLinear, type TrainLinearOptions } from './train-linear.ts';
export { LinearModel, type LinearBody } from './model.ts';
export { LINEAR_DEFAULTS, resolveLinearParams, type LinearParams, type LearningRateSchedule } from './params.ts';
export { trainLinearInWorker } from './train-in-worker.ts';
