/**
 * Gradient-boosted trees: histogram-based, leaf-wise, with missing values learned to a side.
 * Callers on a server use `trainGbdtInWorker` (never the API's event loop); `trainGbdt` is the same
 * trainer in the calling thread, for tests, benchmarks and code already inside a worker.
 */
export { trainGbdt, type GbdtTrainOptions, type GbdtTrainResult } from './boost.ts';
export { trainGbdtInWorker } from './train-in-worker.ts';
export { GbdtModel, type GbdtPredictOptions } from './model.ts';
export { GBDT_DEFAULTS, GBDT_OBJECTIVES, MAX_BINS, resolveGbdtParams, type GbdtParams, type ResolvedGbdtParams } from './params.ts';
export { predictRaw } from './predict.ts';
export { sigmoid } from './objective.ts';
