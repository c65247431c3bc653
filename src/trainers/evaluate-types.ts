/** Metrics a holdout evaluation produces; each trainer's result carries one of these. */
export interface ClassificationMetrics {
  auc: number;
  logloss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  threshold: number;
  rows: number;
}

export interface RegressionMetrics {
  r2: number;
  mae: number;
  rmse: number;
  rows: number;
}

export type Metrics = ClassificationMetrics | RegressionMetrics;
