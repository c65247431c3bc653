/**
 * A registered version as an .onnx file, for users who serve models elsewhere
 * (GET …/versions/:version/onnx, `nightshift export-onnx`):
 *
 *   gbdt   → one TreeEnsemble node (export-gbdt.ts) with double input, so every row is routed
 *            exactly as nightshift routes it; its outputs are float32, as the operator defines them
 *   linear → standard operators in double precision (export-linear.ts)
 *   onnx   → the stored bytes as they were imported (or written by a command trainer)
 *
 * The file takes the model's FEATURE MATRIX, not raw rows: one row per sample, one column per
 * feature of `features` (featureInfos of the version's feature spec, in that order), a categorical
 * feature as its code (index into its `categories`), NaN for missing. Lag and rolling features are
 * columns like any other: whoever feeds the file computes them. The description returned with the
 * bytes (and written into the metadata of gbdt and linear exports) says all this; it is read from
 * the file by onnxruntime, which also proves the file loads before anyone downloads it.
 */
import { NsError } from '../errors.ts';
import type { LoadedArtifact, ModelVersion } from '../registry/index.ts';
import { decodeOnnxBody, parseArtifact } from '../serving/index.ts';
import { loadOnnxModel } from '../serving/onnx-artifact.ts';
import { GbdtModel } from '../trainers/gbdt/index.ts';
import { LinearModel, type LinearBody } from '../trainers/linear/index.ts';
import { exportGbdtToOnnx, exportLinearToOnnx } from '../trainers/onnx/index.ts';
import type { FeatureInfo, ModelArtifact, Task } from '../trainers/types.ts';

export const EXPORTABLE_KINDS = ['gbdt', 'linear', 'onnx'] as const;
export type ExportableKind = (typeof EXPORTABLE_KINDS)[number];

/** What every export's input holds, in words (docs, the API's description, the file's metadata). */
export const ONNX_INPUT_MEANING =
  "the model's feature matrix: one row per sample, one column per feature in the order listed, a categorical feature as its code (the index of its category), NaN for a missing value";

export interface OnnxTensorInfo {
  name: string;
  /** onnxruntime's element type: 'float64', 'float32', 'int64', … */
  type: string;
  /** Symbolic dimensions are names ("N" for the batch). */
  shape: ReadonlyArray<number | string>;
}

export interface OnnxExport {
  version: ModelVersion;
  kind: ExportableKind;
  task: Task;
  /** The .onnx file. */
  bytes: Uint8Array;
  /** Its one input: [N, features.length] of `type`. */
  input: OnnxTensorInfo;
  /** The input's columns, in order. */
  features: FeatureInfo[];
  outputs: OnnxTensorInfo[];
  /** The output nightshift reads: a binary model's class-1 probability is its last column. */
  output: string;
}

const invalid = (field: string, message: string, cause?: unknown) => new NsError('NS_VALIDATION', message, { field, ...(cause === undefined ? {} : { cause }) });

/** The version's artifact as .onnx bytes with their description; NS_VALIDATION on `version` for a kind that has no export. */
export async function exportVersionToOnnx(loaded: LoadedArtifact): Promise<OnnxExport> {
  const { version } = loaded;
  const artifact = parse(loaded);
  const features = artifact.features.map((f) => ({ name: f.name, type: f.type, ...(f.categories ? { categories: [...f.categories] } : {}) }));
  const { bytes, outputName } = fileOf(artifact, version, features);
  const model = await loadOnnxModel(bytes, { task: artifact.task, outputName, features, field: 'artifact', specField: 'artifact.featureSpec' });
  try {
    const tensor = (i: { name: string; type?: string; shape: ReadonlyArray<number | string> }): OnnxTensorInfo => ({ name: i.name, type: i.type ?? 'non-tensor', shape: [...i.shape] });
    return {
      version,
      kind: artifact.kind,
      task: artifact.task,
      bytes,
      input: tensor(model.inputs[0]!),
      features,
      outputs: model.outputs.map(tensor),
      output: model.outputName,
    };
  } finally {
    await model.dispose().catch(() => undefined);
  }
}

function parse(loaded: LoadedArtifact): ModelArtifact & { kind: ExportableKind } {
  try {
    return parseArtifact(loaded.bytes);
  } catch (error) {
    if (!(error instanceof NsError) || error.field !== 'artifact.kind') throw error;
    const { version } = loaded;
    const kind = String((JSON.parse(loaded.bytes.toString('utf8')) as { kind?: unknown }).kind);
    throw invalid(
      'version',
      `version ${version.version} of model "${version.modelName}" (${version.name}) is a ${kind} model, which has no ONNX export; gbdt, linear and onnx models have one (a command trainer that writes a .onnx file registers an onnx model)`,
      error,
    );
  }
}

/** The .onnx bytes, and the output to read when the stored model names one. */
function fileOf(artifact: ModelArtifact & { kind: ExportableKind }, version: ModelVersion, features: readonly FeatureInfo[]): { bytes: Uint8Array; outputName?: string | undefined } {
  if (artifact.kind === 'onnx') return decodeOnnxBody(artifact.body);
  const options = {
    docString: `${version.name}: a nightshift ${artifact.kind} model (${artifact.task}); input: ${ONNX_INPUT_MEANING}`,
    metadata: {
      'nightshift.version': version.name,
      'nightshift.task': artifact.task,
      'nightshift.features': JSON.stringify(features),
      'nightshift.input': ONNX_INPUT_MEANING,
    },
  };
  try {
    if (artifact.kind === 'gbdt') return { bytes: exportGbdtToOnnx(GbdtModel.fromArtifact(artifact).body, features.length, artifact.task, { ...options, inputType: 'double' }) };
    LinearModel.fromArtifact(artifact); // checks the body against the features
    return { bytes: exportLinearToOnnx(artifact.body as LinearBody, features, options) };
  } catch (cause) {
    if (cause instanceof NsError) throw cause;
    throw invalid('artifact', `${version.name}: its ${artifact.kind} model cannot be written as ONNX: ${(cause as Error).message}`, cause);
  }
}
