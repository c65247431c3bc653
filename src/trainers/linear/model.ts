/**
 * A trained linear (regression) or logistic (binary) model: standardiser + weights in standardised
 * units. Immutable: partialFit returns a new model continuing from this one's weights and keeps the
 * standardiser fixed (see standardizer.ts), so a model being served never changes under its users.
 */
import { NsError } from '../../errors.ts';
import type { FeatureInfo, Matrix, ModelArtifact, Task, TrainContext, TrainedModel, TrainingSet } from '../types.ts';
import { resolveLinearParams, type LinearParams } from './params.ts';
import { meanLoss, runSgd, scores, sigmoid, type LinearWeights } from './sgd.ts';
import { checkMatrix, inputLayout, type Standardizer } from './standardizer.ts';

/** ModelArtifact.body for kind 'linear'. Arrays have one entry per input column (see inputLayout). */
export interface LinearBody {
  task: Task;
  weights: number[];
  bias: number;
  mean: number[];
  std: number[];
}

export interface LinearModelInit {
  features: readonly FeatureInfo[];
  params: Readonly<LinearParams>;
  standardizer: Standardizer;
  weights: LinearWeights;
  featureSpec?: unknown;
}

export class LinearModel implements TrainedModel {
  readonly kind = 'linear' as const;
  readonly task: Task;
  readonly features: readonly FeatureInfo[];
  readonly params: Readonly<LinearParams>;
  readonly featureSpec: unknown;
  readonly #standardizer: Standardizer;
  readonly #weights: LinearWeights;

  constructor(init: LinearModelInit) {
    this.task = init.params.task;
    this.features = init.features;
    this.params = init.params;
    this.featureSpec = init.featureSpec;
    this.#standardizer = init.standardizer;
    this.#weights = init.weights;
  }

  /** Binary: P(y = 1). Regression: the predicted value. Missing values are imputed with the stored mean. */
  predict(X: Matrix): Float64Array {
    const z = scores(this.features, this.#standardizer, this.#weights, X);
    if (this.task === 'binary') for (let i = 0; i < z.length; i++) z[i] = sigmoid(z[i]!);
    return z;
  }

  /** Mean training loss on a set: ½·MSE for regression, log loss for binary (no L2 term). */
  loss(set: TrainingSet): number {
    this.#checkFeatures(set.features);
    return meanLoss(this.task, this.features, this.#standardizer, this.#weights, set.X, set.y);
  }

  /** Weights and bias in standardised units (copies). */
  coefficients(): { weights: Float64Array; bias: number; mean: Float64Array; std: Float64Array } {
    return {
      weights: Float64Array.from(this.#weights.weights),
      bias: this.#weights.bias,
      mean: Float64Array.from(this.#standardizer.mean),
      std: Float64Array.from(this.#standardizer.std),
    };
  }

  /**
   * Continues SGD from this model's weights on `set` (params.epochs passes, learning-rate schedule
   * restarted) and returns the new model; this one is unchanged. The standardiser stays fixed.
   * `overrides` may change the optimisation params (not the task).
   */
  async partialFit(
    set: TrainingSet,
    ctx: TrainContext,
    options: { overrides?: Partial<Omit<LinearParams, 'task'>>; valid?: TrainingSet } = {},
  ): Promise<LinearModel> {
    this.#checkFeatures(set.features);
    checkLabels(this.task, set);
    const params = resolveLinearParams({ ...this.params, ...options.overrides, task: this.task });
    if (options.valid !== undefined) this.#checkFeatures(options.valid.features);
    const weights = await runSgd(
      {
        features: this.features,
        standardizer: this.#standardizer,
        params,
        seed: params.seed ?? ctx.seed,
        signal: ctx.signal,
        onProgress: ctx.onProgress,
        valid: options.valid,
      },
      this.#weights,
      set.X,
      set.y,
    );
    return new LinearModel({
      features: this.features,
      params,
      standardizer: this.#standardizer,
      weights,
      featureSpec: this.featureSpec,
    });
  }

  toArtifact(): ModelArtifact {
    const body: LinearBody = {
      task: this.task,
      weights: Array.from(this.#weights.weights),
      bias: this.#weights.bias,
      mean: Array.from(this.#standardizer.mean),
      std: Array.from(this.#standardizer.std),
    };
    const params: Record<string, unknown> = { ...this.params };
    if (params.seed === undefined) delete params.seed;
    const artifact: ModelArtifact = {
      format: 'nightshift-model',
      version: 1,
      kind: 'linear',
      task: this.task,
      features: this.features.map((f) => ({ ...f, ...(f.categories ? { categories: [...f.categories] } : {}) })),
      params,
      body,
    };
    if (this.featureSpec !== undefined) artifact.featureSpec = this.featureSpec;
    return artifact;
  }

  /** Loads an artifact written by toArtifact (after JSON round trip or not); throws NS_VALIDATION when malformed. */
  static fromArtifact(artifact: ModelArtifact): LinearModel {
    const bad = (field: string, rule: string) =>
      new NsError('NS_VALIDATION', `artifact.${field}: ${rule}`, { field: `artifact.${field}` });
    if (artifact.format !== 'nightshift-model') throw bad('format', 'must be "nightshift-model"');
    if (artifact.version !== 1) throw bad('version', `unsupported version ${String(artifact.version)}; this build reads 1`);
    if (artifact.kind !== 'linear') throw bad('kind', `must be "linear", got "${String(artifact.kind)}"`);
    if (!Array.isArray(artifact.features)) throw bad('features', 'must be an array of feature descriptions');
    const body = artifact.body as Partial<LinearBody> | null;
    if (body === null || typeof body !== 'object') throw bad('body', 'must be an object {task, weights, bias, mean, std}');
    if (body.task !== artifact.task) throw bad('body.task', `must equal artifact.task "${artifact.task}"`);
    const width = inputLayout(artifact.features).length;
    const vector = (name: 'weights' | 'mean' | 'std') => {
      const v = body[name];
      if (!Array.isArray(v) || v.length !== width || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw bad(`body.${name}`, `must be ${width} finite numbers (one per input column)`);
      }
      return Float64Array.from(v);
    };
    const weights = vector('weights');
    const mean = vector('mean');
    const std = vector('std');
    if (!std.every((s) => s > 0)) throw bad('body.std', 'every entry must be > 0');
    if (typeof body.bias !== 'number' || !Number.isFinite(body.bias)) throw bad('body.bias', 'must be a finite number');
    const { seed, ...rest } = artifact.params;
    const params = resolveLinearParams({ ...rest, ...(typeof seed === 'number' ? { seed } : {}), task: artifact.task });
    return new LinearModel({
      features: artifact.features,
      params,
      standardizer: { layout: inputLayout(artifact.features), mean, std },
      weights: { weights, bias: body.bias },
      featureSpec: artifact.featureSpec,
    });
  }

  #checkFeatures(features: readonly FeatureInfo[]): void {
    const same =
      features.length === this.features.length &&
      features.every((f, j) => {
        const mine = this.features[j]!;
        return f.name === mine.name && f.type === mine.type;
      });
    if (!same) {
      throw new NsError(
        'NS_VALIDATION',
        `features: expected [${this.features.map((f) => f.name).join(', ')}], got [${features.map((f) => f.name).join(', ')}]`,
        { field: 'features' },
      );
    }
  }
}

/** Throws NS_VALIDATION unless y has one finite label per row (0/1 for binary). */
export function checkLabels(task: Task, set: TrainingSet): void {
  checkMatrix(set.features, set.X);
  if (set.X.rows === 0) throw new NsError('NS_VALIDATION', 'y: the training set has no rows', { field: 'y' });
  if (set.y.length !== set.X.rows) {
    throw new NsError('NS_VALIDATION', `y: has ${set.y.length} labels for ${set.X.rows} rows`, { field: 'y' });
  }
  for (let i = 0; i < set.y.length; i++) {
    const v = set.y[i]!;
    const ok = task === 'binary' ? v === 0 || v === 1 : Number.isFinite(v);
    if (!ok) {
      const rule = task === 'binary' ? 'binary labels must be 0 or 1' : 'regression labels must be finite numbers';
      throw new NsError('NS_VALIDATION', `y[${i}]=${v}: ${rule}; example ${task === 'binary' ? '1' : '3.5'}`, { field: 'y' });
    }
  }
}
