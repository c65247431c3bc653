/**
 * A loaded model ready to serve raw rows: the artifact parsed once, the model built (GBDT, linear,
 * or an ONNX session), and the artifact's feature spec. Rows always go through transformForServing
 * with that spec — the same transform training used — so there is no train/serve skew.
 *
 * GBDT and linear predictors are synchronous (`sync: true`): `predictRowsSync` scores a row without
 * a promise, which keeps the single-row path to a few microseconds. ONNX predictors run in
 * onnxruntime and are asynchronous; `predictRows` handles both.
 *
 * An artifact without a featureSpec (a model trained on a ready-made matrix) is served with the
 * identity spec of its features: numeric features are read from the raw column of the same name,
 * categorical ones are coded by the feature's `categories`. That is only possible when the numeric
 * features come first, as the transform emits them; otherwise the artifact is refused.
 */
import { TextDecoder } from 'node:util';
import { featureInfos, transformForServing, type FeatureSpec } from '../data/features/index.ts';
import type { RawSample } from '../data/types.ts';
import { NsError } from '../errors.ts';
import { GbdtModel } from '../trainers/gbdt/index.ts';
import { LinearModel } from '../trainers/linear/index.ts';
import type { FeatureInfo, Matrix, ModelArtifact, Task } from '../trainers/types.ts';
import { checkThreshold, decodeOnnxBody, fittedSpec, loadOnnxModel } from './onnx-artifact.ts';

export const SERVABLE_KINDS = ['gbdt', 'linear', 'onnx'] as const;
export type ServableKind = (typeof SERVABLE_KINDS)[number];

export const DEFAULT_THRESHOLD = 0.5;

export interface Predictor {
  readonly kind: ServableKind;
  readonly task: Task;
  /** Applied to raw rows before predictMatrix (stored in the artifact). */
  readonly featureSpec: FeatureSpec;
  /** The model's input columns, in order: featureInfos(featureSpec). */
  readonly features: readonly FeatureInfo[];
  /** Binary decision threshold: artifact params.threshold ?? 0.5. */
  readonly threshold: number;
  /** Size of the artifact the predictor was loaded from: the model cache's measure of memory held. */
  readonly sizeBytes: number;
  /** True when predictMatrix returns its result synchronously (GBDT, linear). */
  readonly sync: boolean;
  /** Binary: probability of class 1. Regression: the value. One per row. */
  predictMatrix(X: Matrix): Float64Array | Promise<Float64Array>;
  /** Releases native resources (the ONNX session); the predictor cannot predict afterwards. Idempotent. */
  close(): Promise<void>;
}

export interface SyncPredictor extends Predictor {
  readonly sync: true;
  predictMatrix(X: Matrix): Float64Array;
}

/** Binary: prediction = probability ≥ threshold ? 1 : 0. Regression: prediction = score = the value. */
export interface Prediction {
  prediction: number;
  probability?: number;
  score?: number;
}

export const isSyncPredictor = (p: Predictor): p is SyncPredictor => p.sync;

/** Parses a nightshift-model artifact and builds its predictor; NS_VALIDATION naming the field when it cannot. */
export async function loadPredictor(bytes: Buffer | Uint8Array): Promise<Predictor> {
  return predictorOf(parseArtifact(bytes), bytes.byteLength);
}

/** The predictor of an artifact already parsed (sizeBytes: its stored size, for the cache's memory bound). */
export async function predictorOf(artifact: ModelArtifact, sizeBytes: number): Promise<Predictor> {
  const spec = servingSpec(artifact);
  const threshold = checkThreshold(artifact.params.threshold ?? DEFAULT_THRESHOLD, 'artifact.params.threshold');
  const base = { task: artifact.task, featureSpec: spec, features: artifact.features, threshold, sizeBytes };
  transformForServing(spec, []); // compile the spec's transform plan now (cached per spec), not on the first request
  if (artifact.kind === 'gbdt') {
    const model = GbdtModel.fromArtifact(artifact);
    model.predictRaw({ rows: 0, columns: artifact.features.map(() => new Float64Array(0)) }); // compile the trees now, not on the first request
    return syncPredictor('gbdt', base, (X) => model.predict(X));
  }
  if (artifact.kind === 'linear') {
    const model = LinearModel.fromArtifact(artifact);
    return syncPredictor('linear', base, (X) => model.predict(X));
  }
  const { bytes: onnx, outputName } = decodeOnnxBody(artifact.body);
  const model = await loadOnnxModel(onnx, { task: artifact.task, outputName, features: artifact.features, field: 'artifact.body.onnx', specField: 'artifact.featureSpec' });
  let closed: Promise<void> | null = null;
  return Object.freeze({
    kind: 'onnx' as const,
    ...base,
    sync: false,
    predictMatrix: (X: Matrix) => {
      if (closed) return Promise.reject(new NsError('NS_CONFLICT', 'this ONNX predictor was closed (its model was unloaded); load the model again', { retryable: true }));
      return model.predict(X);
    },
    close: () => (closed ??= model.dispose()),
  });
}

function syncPredictor(kind: 'gbdt' | 'linear', base: Omit<Predictor, 'kind' | 'sync' | 'predictMatrix' | 'close'>, predict: (X: Matrix) => Float64Array): SyncPredictor {
  return Object.freeze({ kind, ...base, sync: true as const, predictMatrix: predict, close: () => Promise.resolve() });
}

/**
 * Scores raw rows synchronously (GBDT, linear). `history` holds earlier samples of the rows'
 * entities for lag and rolling features (see transformForServing); without it those are missing.
 */
export function predictRowsSync(p: SyncPredictor, rows: readonly RawSample[], history?: readonly RawSample[]): Prediction[] {
  if (rows.length === 0) return [];
  return toPredictions(p, p.predictMatrix(transformForServing(p.featureSpec, rows, history).X));
}

/** Scores raw rows with any predictor (synchronously inside when it can). */
export async function predictRows(p: Predictor, rows: readonly RawSample[], history?: readonly RawSample[]): Promise<Prediction[]> {
  if (rows.length === 0) return [];
  const out = p.predictMatrix(transformForServing(p.featureSpec, rows, history).X);
  return toPredictions(p, out instanceof Float64Array ? out : await out);
}

function toPredictions(p: Predictor, out: Float64Array): Prediction[] {
  const result = new Array<Prediction>(out.length);
  if (p.task === 'binary') {
    const t = p.threshold;
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!;
      result[i] = { prediction: v >= t ? 1 : 0, probability: v };
    }
  } else {
    for (let i = 0; i < out.length; i++) {
      const v = out[i]!;
      result[i] = { prediction: v, score: v };
    }
  }
  return result;
}

const bad = (field: string, message: string, cause?: unknown) =>
  new NsError('NS_VALIDATION', `${field}: ${message}`, { field, ...(cause === undefined ? {} : { cause }) });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The artifact's JSON with its envelope checked: format, version, a servable kind, task, features, params. */
export function parseArtifact(bytes: Buffer | Uint8Array): ModelArtifact & { kind: ServableKind; params: Record<string, unknown> } {
  const notArtifact = 'is not a nightshift-model artifact (a JSON file written by a nightshift trainer or by onnxArtifact)';
  if (bytes.byteLength === 0) throw bad('artifact', `is empty; it ${notArtifact.slice(3)}`);
  let first = 0;
  while (first < bytes.byteLength && (bytes[first] === 0x20 || bytes[first] === 0x0a || bytes[first] === 0x0d || bytes[first] === 0x09)) first++;
  if (bytes[first] !== 0x7b) {
    // A raw .onnx file is a protobuf ModelProto, whose first field (ir_version, a varint) starts with 0x08.
    const hint = bytes[0] === 0x08 ? '; it looks like a raw .onnx file: wrap it with onnxArtifact() and register that' : '';
    throw bad('artifact', `${notArtifact}${hint}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    throw bad('artifact', `${notArtifact}; its JSON does not parse: ${(cause as Error).message}`, cause);
  }
  if (!isRecord(raw)) throw bad('artifact', notArtifact);
  if (raw.format !== 'nightshift-model') throw bad('artifact.format', `expected "nightshift-model", got ${JSON.stringify(raw.format)}`);
  if (raw.version !== 1) throw bad('artifact.version', `this build reads version 1, the artifact is version ${JSON.stringify(raw.version)}`);
  if (raw.kind === 'command') {
    throw bad('artifact.kind', '"command": a command trainer\'s model runs only in its own program and cannot be served in-process; export it to ONNX and import it');
  }
  if (!(SERVABLE_KINDS as readonly unknown[]).includes(raw.kind)) throw bad('artifact.kind', `${JSON.stringify(raw.kind)} cannot be served; servable kinds: ${SERVABLE_KINDS.join(', ')}`);
  if (raw.task !== 'binary' && raw.task !== 'regression') throw bad('artifact.task', `must be "binary" or "regression", got ${JSON.stringify(raw.task)}`);
  if (!Array.isArray(raw.features) || raw.features.length === 0) throw bad('artifact.features', 'must be a non-empty array of {name, type}');
  raw.features.forEach((f: unknown, i) => {
    if (!isRecord(f) || typeof f.name !== 'string' || (f.type !== 'numeric' && f.type !== 'categorical')) {
      throw bad(`artifact.features[${i}]`, 'must be {name, type: "numeric" | "categorical"}');
    }
  });
  if (raw.params === undefined) raw.params = {};
  if (!isRecord(raw.params)) throw bad('artifact.params', 'must be an object');
  return raw as unknown as ModelArtifact & { kind: ServableKind; params: Record<string, unknown> };
}

/** The artifact's feature spec, checked to produce exactly the model's features (name, type, categories). */
function servingSpec(artifact: ModelArtifact): FeatureSpec {
  const field = 'artifact.featureSpec';
  const spec = artifact.featureSpec === undefined ? identitySpec(artifact.features) : fittedSpec(artifact.featureSpec, field);
  const produced = featureInfos(spec);
  const expected = artifact.features;
  const mismatch = (i: number): boolean => {
    const a = produced[i];
    const b = expected[i];
    if (!a || !b || a.name !== b.name || a.type !== b.type) return true;
    if (a.type !== 'categorical') return false;
    const ca = a.categories ?? [];
    const cb = b.categories ?? [];
    return ca.length !== cb.length || ca.some((c, j) => c !== cb[j]);
  };
  for (let i = 0; i < Math.max(produced.length, expected.length); i++) {
    if (!mismatch(i)) continue;
    const show = (f: FeatureInfo | undefined) => (f ? `"${f.name}" (${f.type})` : 'nothing');
    throw bad(
      artifact.featureSpec === undefined ? 'artifact.featureSpec' : field,
      artifact.featureSpec === undefined
        ? `missing, and the model's features cannot be read as raw columns (feature ${i} ${show(expected[i])}; numeric features must come before categorical ones)`
        : `produces ${show(produced[i])} as feature ${i} but the model was trained with ${show(expected[i])}${mismatchHint(produced[i], expected[i])}`,
    );
  }
  return spec;
}

const mismatchHint = (a: FeatureInfo | undefined, b: FeatureInfo | undefined) =>
  a && b && a.name === b.name && a.type === b.type ? ': the categorical vocabularies differ' : '';

function identitySpec(features: readonly FeatureInfo[]): FeatureSpec {
  const numeric = features.filter((f) => f.type === 'numeric').map((f) => f.name);
  const categorical = features.filter((f) => f.type === 'categorical');
  try {
    return fittedSpec(
      {
        continuous: numeric,
        categorical: categorical.map((f) => f.name),
        vocabulary: Object.fromEntries(categorical.map((f) => [f.name, [...(f.categories ?? [])]])),
      },
      'artifact.featureSpec',
    );
  } catch (cause) {
    throw bad('artifact.featureSpec', `missing, and the model's feature names cannot be read as raw columns: ${(cause as Error).message}`, cause);
  }
}
