/**
 * A trained tree ensemble: predicts raw rows of its features and round-trips through a versioned,
 * self-describing artifact. `fromArtifact` checks format, version, kind and the body's shape, so a
 * damaged or foreign file fails loudly at load, never with wrong predictions.
 */
import { NsError } from '../../errors.ts';
import type { FeatureInfo, GbdtBody, GbdtTree, Matrix, ModelArtifact, Task, TrainedModel } from '../types.ts';
import { BATCH_MIN_ROWS, encodeModelForest, predictBatchRaw, type EncodedForest } from './batch-predict.ts';
import { GBDT_OBJECTIVES } from './params.ts';
import { checkMatrix, compileTree, predictRaw, toPrediction, type CompiledTree } from './predict.ts';

export interface GbdtPredictOptions {
  /**
   * Threads a large batch (10,000 rows or more) may use, the calling one included (default 1). The
   * calling thread blocks until the batch is done: pass more than 1 only off the API's event loop.
   */
  threads?: number;
}

export interface GbdtModelInit {
  features: readonly FeatureInfo[];
  body: GbdtBody;
  params: Record<string, unknown>;
  featureSpec?: unknown;
}

export class GbdtModel implements TrainedModel {
  readonly kind = 'gbdt' as const;
  readonly task: Task;
  readonly features: readonly FeatureInfo[];
  readonly body: GbdtBody;
  readonly params: Record<string, unknown>;
  readonly featureSpec: unknown;
  private compiled: CompiledTree[] | null = null;
  /** The trees encoded for batch prediction (batch-predict.ts); null when they cannot be (see splitBinsOf). */
  private forest: EncodedForest | null | undefined;

  constructor(init: GbdtModelInit) {
    this.features = init.features;
    this.body = init.body;
    this.params = init.params;
    this.featureSpec = init.featureSpec;
    this.task = init.body.objective === 'binary_logloss' ? 'binary' : 'regression';
  }

  get numTrees(): number {
    return this.body.trees.length;
  }

  /**
   * Raw scores: log-odds (binary) or values (regression). Batches of BATCH_MIN_ROWS rows or more
   * are scored in WebAssembly over the rows' bin codes (batch-predict.ts), on up to
   * `options.threads` threads: the same scores, bit for bit.
   */
  predictRaw(X: Matrix, options: GbdtPredictOptions = {}): Float64Array {
    if (X.rows >= BATCH_MIN_ROWS) {
      if (this.forest === undefined) this.forest = encodeModelForest(this.body);
      if (this.forest !== null) {
        checkMatrix(X, this.body.binEdges.length);
        return predictBatchRaw(this.body, this.forest, X, options.threads ?? 1);
      }
    }
    this.compiled ??= this.body.trees.map(compileTree);
    return predictRaw(this.body, X, this.compiled);
  }

  /** Binary: probability of class 1. Regression: the predicted value. See predictRaw for `options`. */
  predict(X: Matrix, options: GbdtPredictOptions = {}): Float64Array {
    return toPrediction(this.body, this.predictRaw(X, options));
  }

  toArtifact(): ModelArtifact {
    const artifact: ModelArtifact = {
      format: 'nightshift-model',
      version: 1,
      kind: 'gbdt',
      task: this.task,
      features: this.features,
      params: this.params,
      body: this.body,
    };
    if (this.featureSpec !== undefined) artifact.featureSpec = this.featureSpec;
    return artifact;
  }

  static fromArtifact(artifact: unknown): GbdtModel {
    const a = artifact as Partial<ModelArtifact> | null;
    if (a === null || typeof a !== 'object') fail('artifact', 'is not an object');
    if (a.format !== 'nightshift-model') fail('format', `expected "nightshift-model", got ${JSON.stringify(a.format)}`);
    if (a.version !== 1) fail('version', `this build reads version 1, the file is version ${JSON.stringify(a.version)}`);
    if (a.kind !== 'gbdt') fail('kind', `expected "gbdt", got ${JSON.stringify(a.kind)}`);
    if (!Array.isArray(a.features)) fail('features', 'must be an array');
    const body = checkBody(a.body, a.features.length);
    const task = body.objective === 'binary_logloss' ? 'binary' : 'regression';
    if (a.task !== task) fail('task', `${JSON.stringify(a.task)} does not match objective ${body.objective}`);
    return new GbdtModel({
      features: a.features,
      body,
      params: a.params ?? {},
      featureSpec: a.featureSpec,
    });
  }
}

function fail(field: string, message: string): never {
  throw new NsError('NS_VALIDATION', `model artifact ${field}: ${message}`, { field: `artifact.${field}` });
}

const isNumArray = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

function checkBody(raw: unknown, features: number): GbdtBody {
  const b = raw as Partial<GbdtBody> | null;
  if (b === null || typeof b !== 'object') fail('body', 'is not an object');
  if (!GBDT_OBJECTIVES.includes(b.objective as never)) fail('body.objective', `unknown ${JSON.stringify(b.objective)}`);
  if (typeof b.baseScore !== 'number' || !Number.isFinite(b.baseScore)) fail('body.baseScore', 'must be a finite number');
  if (!Array.isArray(b.binEdges) || b.binEdges.length !== features || !b.binEdges.every(isNumArray)) {
    fail('body.binEdges', `must hold one number array per feature (${features})`);
  }
  if (!Array.isArray(b.trees)) fail('body.trees', 'must be an array');
  b.trees.forEach((t, i) => checkTree(t, i, features));
  return b as GbdtBody;
}

/** Children come after their parent, so every walk ends at a leaf. */
function checkTree(raw: unknown, index: number, features: number): void {
  const t = raw as Partial<GbdtTree> | null;
  const where = `body.trees[${index}]`;
  if (t === null || typeof t !== 'object') fail(where, 'is not an object');
  const n = Array.isArray(t.feature) ? t.feature.length : 0;
  const ok =
    n > 0 &&
    [t.feature, t.threshold, t.left, t.right, t.value].every((a) => isNumArray(a) && a.length === n) &&
    Array.isArray(t.missingLeft) &&
    t.missingLeft.length === n;
  if (!ok) fail(where, 'needs feature, threshold, left, right, missingLeft, value arrays of one length ≥ 1');
  for (let i = 0; i < n; i++) {
    const f = t.feature![i]!;
    if (f === -1) {
      if (!Number.isFinite(t.value![i])) fail(where, `leaf ${i} has a non-finite value`);
      continue;
    }
    const l = t.left![i]!;
    const r = t.right![i]!;
    if (!Number.isInteger(f) || f < 0 || f >= features) fail(where, `node ${i} splits on unknown feature ${f}`);
    if (!(Number.isInteger(l) && Number.isInteger(r) && l > i && r > i && l < n && r < n)) {
      fail(where, `node ${i} has children ${l}, ${r}; they must be later nodes of the tree`);
    }
  }
}
