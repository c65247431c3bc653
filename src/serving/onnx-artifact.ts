/**
 * Imported ONNX models as nightshift-model artifacts: kind 'onnx', the .onnx bytes base64-encoded
 * in the body, plus the feature spec that turns raw rows into the model's input columns (so an
 * imported model is served from raw rows exactly like a trained one).
 *
 *   { format: 'nightshift-model', version: 1, kind: 'onnx', task, features, featureSpec,
 *     params: { threshold? }, body: { encoding: 'base64', onnx: '<base64>', outputName? } }
 *
 * `onnxArtifact` refuses what would only fail later, at serving: bytes onnxruntime cannot load, an
 * input width that differs from the spec's feature count, an output that cannot be read for the
 * task, a spec that is not fitted (categorical columns without a vocabulary).
 */
import { Buffer } from 'node:buffer';
import { featureInfos, isFitted, parseFeatureSpec, type FeatureSpec, type FeatureSpecInput } from '../data/features/index.ts';
import { NsError } from '../errors.ts';
import { OnnxModel } from '../trainers/onnx/index.ts';
import type { FeatureInfo, ModelArtifact, Task } from '../trainers/types.ts';

/** ModelArtifact.body for kind 'onnx'. */
export interface OnnxArtifactBody {
  encoding: 'base64';
  /** The .onnx file, base64. */
  onnx: string;
  /** Output to read (default: discovered, see OnnxModel). */
  outputName?: string;
}

export interface OnnxArtifactOptions {
  task: Task;
  /** The spec whose output columns are the model's input, in order; fitted when it has categorical columns. */
  featureSpec: FeatureSpec | FeatureSpecInput;
  outputName?: string;
  /** Binary decision threshold stored as params.threshold (serving defaults to 0.5). */
  threshold?: number;
}

const invalid = (field: string, message: string, cause?: unknown) =>
  new NsError('NS_VALIDATION', `${field}: ${message}`, { field, ...(cause === undefined ? {} : { cause }) });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Validates the ONNX bytes and options and returns the artifact to register. */
export async function onnxArtifact(bytes: Uint8Array, opts: OnnxArtifactOptions): Promise<ModelArtifact> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) throw invalid('onnx', 'the model bytes are empty; pass the contents of a .onnx file');
  if (opts.task !== 'binary' && opts.task !== 'regression') throw invalid('task', `must be "binary" or "regression", got ${JSON.stringify(opts.task)}`);
  if (opts.outputName !== undefined && (typeof opts.outputName !== 'string' || opts.outputName === '')) {
    throw invalid('outputName', 'must be the non-empty name of one of the model outputs');
  }
  const threshold = opts.threshold === undefined ? undefined : checkThreshold(opts.threshold, 'threshold');
  const spec = fittedSpec(opts.featureSpec, 'featureSpec');
  const features = featureInfos(spec);

  const model = await loadOnnxModel(bytes, { task: opts.task, outputName: opts.outputName, features, field: 'onnx', specField: 'featureSpec' });
  try {
    await probe(model, opts.task, features.length);
  } finally {
    await model.dispose().catch(() => undefined);
  }

  const body: OnnxArtifactBody = { encoding: 'base64', onnx: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  if (opts.outputName !== undefined) body.outputName = opts.outputName;
  return {
    format: 'nightshift-model',
    version: 1,
    kind: 'onnx',
    task: opts.task,
    features,
    featureSpec: spec,
    params: threshold === undefined ? {} : { threshold },
    body,
  };
}

/** The .onnx bytes and output name of a kind 'onnx' artifact body; NS_VALIDATION naming the field otherwise. */
export function decodeOnnxBody(raw: unknown, field = 'artifact.body'): { bytes: Uint8Array; outputName: string | undefined } {
  const b = raw as Partial<OnnxArtifactBody> | null;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw invalid(field, 'must be an object {encoding: "base64", onnx, outputName?}');
  if (b.encoding !== 'base64') throw invalid(`${field}.encoding`, `must be "base64", got ${JSON.stringify(b.encoding)}`);
  if (typeof b.onnx !== 'string' || b.onnx.length === 0 || b.onnx.length % 4 !== 0 || !BASE64.test(b.onnx)) {
    throw invalid(`${field}.onnx`, 'must be the .onnx file as a non-empty base64 string');
  }
  if (b.outputName !== undefined && (typeof b.outputName !== 'string' || b.outputName === '')) throw invalid(`${field}.outputName`, 'must be a non-empty string');
  return { bytes: new Uint8Array(Buffer.from(b.onnx, 'base64')), outputName: b.outputName };
}

/**
 * Loads ONNX bytes into onnxruntime, turning its errors into NS_VALIDATION, and checks the declared
 * input width against the features. The caller disposes the model.
 */
export async function loadOnnxModel(
  bytes: Uint8Array,
  o: { task: Task; outputName: string | undefined; features: readonly FeatureInfo[]; field: string; specField: string },
): Promise<OnnxModel> {
  let model: OnnxModel;
  try {
    model = await OnnxModel.load(bytes, { task: o.task, ...(o.outputName === undefined ? {} : { outputName: o.outputName }) });
  } catch (cause) {
    const message = (cause as Error).message;
    const outputField = o.field === 'onnx' ? 'outputName' : `${o.field}.outputName`;
    const field = o.outputName !== undefined && message.includes(`'${o.outputName}'`) ? outputField : o.field;
    throw invalid(field, `onnxruntime cannot serve this model: ${message}`, cause);
  }
  if (model.featureCount !== undefined && model.featureCount !== o.features.length) {
    await model.dispose().catch(() => undefined);
    throw invalid(
      o.specField,
      `produces ${o.features.length} features (${names(o.features)}) but the ONNX model's input "${model.inputName}" takes ${model.featureCount}`,
    );
  }
  return model;
}

/** One row of zeros through the model: the output must be readable for the task. */
async function probe(model: OnnxModel, task: Task, width: number): Promise<void> {
  let out: Float64Array;
  try {
    out = await model.predict({ rows: 1, columns: Array.from({ length: width }, () => new Float64Array(1)) });
  } catch (cause) {
    const message = (cause as Error).message;
    throw invalid(/task is regression/.test(message) ? 'task' : 'onnx', `a test prediction failed: ${message}`, cause);
  }
  const v = out[0]!;
  if (task === 'binary' && !(v >= 0 && v <= 1)) {
    throw invalid('task', `"binary" needs an output of class-1 probabilities, but output "${model.outputName}" gave ${v} for a row of zeros (pass outputName, or task "regression")`);
  }
  if (task === 'regression' && !Number.isFinite(v)) throw invalid('onnx', `output "${model.outputName}" gave ${v} for a row of zeros`);
}

/** A parsed spec that can transform rows (vocabularies present); NS_VALIDATION naming `field` otherwise. */
export function fittedSpec(raw: unknown, field: string): FeatureSpec {
  const spec = parseFeatureSpec(raw, field);
  if (!isFitted(spec)) {
    throw invalid(`${field}.vocabulary`, `the spec has categorical columns (${spec.categorical.join(', ')}) but no vocabulary; give each one's categories in code order`);
  }
  return spec;
}

export function checkThreshold(v: unknown, field: string): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw invalid(field, `must be a probability from 0 to 1, got ${JSON.stringify(v)}`);
  return v;
}

const names = (features: readonly FeatureInfo[]) => {
  const list = features.slice(0, 8).map((f) => f.name).join(', ');
  return features.length > 8 ? `${list}, …` : list;
};
