/** The one parameter set of the benchmark, in both spellings (ours → scikit-learn in fit_sklearn.py). */
export const BENCH_PARAMS = {
  objective: 'binary_logloss',
  numTrees: 100,
  maxLeaves: 31,
  learningRate: 0.1,
  maxBins: 255,
  earlyStoppingRounds: 0,
} as const;
/** Incremental update: trees added on the last INCREMENTAL_DAYS of the training window. */
export const INCREMENTAL_TREES = 10;
export const INCREMENTAL_DAYS = 7;
export const PREDICT_ROWS = 100_000;
