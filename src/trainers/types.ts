/**
 * Contracts shared by every trainer (built-in GBDT and linear, command trainers), evaluation, ONNX
 * export and serving. Data is columnar: one Float64Array per feature, NaN meaning "missing".
 */

export type Task = 'binary' | 'regression';

/** n rows × d features, column-major; categorical features arrive as integer codes (see FeatureInfo). */
export interface Matrix {
  readonly rows: number;
  readonly columns: readonly Float64Array[];
}

export interface FeatureInfo {
  name: string;
  type: 'numeric' | 'categorical';
  /** For categorical features: code i ↔ categories[i]. */
  categories?: readonly string[];
}

export interface TrainingSet {
  features: readonly FeatureInfo[];
  X: Matrix;
  /** Binary: 0/1. Regression: any finite number. */
  y: Float64Array;
  /** Optional per-row timestamps (epoch ms), for time-based holdouts. */
  ts?: Float64Array;
}

export interface TrainProgress {
  iteration: number;
  trainLoss: number;
  validLoss?: number;
}

export interface TrainContext {
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Everything random (subsampling, shuffles) derives from this. */
  seed: number;
  /** Worker threads a trainer may use (1 = none). */
  threads?: number;
}

/** A trained model: predicts raw rows of the same features, and serializes itself. */
export interface TrainedModel {
  readonly kind: ModelKind;
  readonly task: Task;
  /**
   * Binary: probability of class 1. Regression: the predicted value. `threads`: how many threads a
   * large batch may use, the calling one included (a trainer may ignore it; default 1).
   */
  predict(X: Matrix, options?: { threads?: number }): Float64Array;
  toArtifact(): ModelArtifact;
}

export type ModelKind = 'gbdt' | 'linear' | 'onnx' | 'command';

/**
 * Versioned, self-describing model file: everything needed to load it and predict anywhere,
 * including the feature spec the rows must go through (no train/serve skew). Deterministic: the
 * same training on the same data with the same seed writes the same bytes (the same sha256), so it
 * holds nothing about when it was written (the version row has its own created_at).
 */
export interface ModelArtifact {
  format: 'nightshift-model';
  version: 1;
  kind: ModelKind;
  task: Task;
  features: readonly FeatureInfo[];
  /** The feature-engineering spec (src/data/features) that produced `features` from raw rows. */
  featureSpec?: unknown;
  params: Record<string, unknown>;
  /** Trainer-specific body (GbdtBody, LinearBody, …). */
  body: unknown;
  /** Written by earlier builds (the training time); read as nothing, never written now. */
  createdAt?: string;
}

/** Tree ensemble body. Leaf values already include the learning rate. */
export interface GbdtBody {
  objective: 'binary_logloss' | 'squared_error';
  /** Raw score before the first tree (log-odds for binary, mean for regression). */
  baseScore: number;
  trees: GbdtTree[];
  /** Per feature: the upper edges of its quantile bins (≤ 255), kept so incremental training reuses them. */
  binEdges: number[][];
}

/**
 * One tree as parallel arrays; node 0 is the root. An internal node sends a row left when
 * value <= threshold (ONNX BRANCH_LEQ), and a missing value (NaN) left iff missingLeft.
 * A leaf has feature = -1 and its output in `value`.
 */
export interface GbdtTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  missingLeft: boolean[];
  value: number[];
}
