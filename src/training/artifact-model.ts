/**
 * A registered artifact back as a model that predicts a matrix: our GBDT and linear models in
 * process, imported ONNX models through onnxruntime-node. Used to score the champion on the
 * candidate's holdout.
 */
import { NsError } from '../errors.ts';
import { parseFeatureSpec, type FeatureSpec } from '../data/features/index.ts';
import { GbdtModel } from '../trainers/gbdt/index.ts';
import { LinearModel } from '../trainers/linear/index.ts';
import type { Matrix, ModelArtifact, Task } from '../trainers/types.ts';

export interface ArtifactModel {
  kind: string;
  task: Task;
  featureSpec: FeatureSpec;
  artifact: ModelArtifact;
  /** GBDT or linear model, for incremental training. */
  trained: GbdtModel | LinearModel | null;
  predict(X: Matrix): Promise<Float64Array>;
  close(): Promise<void>;
}

export function parseArtifact(bytes: Uint8Array, what: string): ModelArtifact {
  let artifact: unknown;
  try {
    artifact = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new NsError('NS_STORE', `${what}: the artifact is not a nightshift model file (not JSON)`);
  }
  const a = artifact as Partial<ModelArtifact> | null;
  if (!a || a.format !== 'nightshift-model' || a.version !== 1) throw new NsError('NS_STORE', `${what}: the artifact is not a nightshift-model file of version 1`);
  return a as ModelArtifact;
}

export async function loadArtifactModel(bytes: Uint8Array, what: string): Promise<ArtifactModel> {
  const artifact = parseArtifact(bytes, what);
  const featureSpec = parseFeatureSpec(artifact.featureSpec, `${what}.featureSpec`);
  const base = { kind: artifact.kind, task: artifact.task, featureSpec, artifact };
  if (artifact.kind === 'gbdt' || artifact.kind === 'linear') {
    const model = artifact.kind === 'gbdt' ? GbdtModel.fromArtifact(artifact) : LinearModel.fromArtifact(artifact);
    return { ...base, trained: model, predict: async (X) => model.predict(X), close: async () => undefined };
  }
  if (artifact.kind === 'onnx') {
    const { loadPredictor } = await import('../serving/predictor.ts');
    const predictor = await loadPredictor(Buffer.from(bytes));
    return { ...base, trained: null, predict: async (X) => predictor.predictMatrix(X), close: () => predictor.close() };
  }
  throw new NsError('NS_STORE', `${what}: artifacts of kind "${artifact.kind}" cannot be evaluated here`);
}
