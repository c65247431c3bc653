/**
 * A registered artifact back as a model for training: the champion scored on a candidate's holdout
 * (through serving's predictor, so our models and imported ONNX ones alike), and — for our GBDT and
 * linear models — the trained model an incremental run continues from.
 */
import { NsError } from '../errors.ts';
import type { FeatureSpec } from '../data/features/index.ts';
import { loadPredictor, parseArtifact } from '../serving/predictor.ts';
import { GbdtModel } from '../trainers/gbdt/index.ts';
import { LinearModel } from '../trainers/linear/index.ts';
import type { Matrix, ModelArtifact, Task } from '../trainers/types.ts';

export interface ArtifactModel {
  kind: string;
  task: Task;
  featureSpec: FeatureSpec;
  artifact: ModelArtifact;
  /** GBDT or linear model, for incremental training; null for an imported ONNX model. */
  trained: GbdtModel | LinearModel | null;
  predict(X: Matrix): Promise<Float64Array>;
  close(): Promise<void>;
}

/** `what` names the artifact in errors: a stored artifact that cannot be read is a store problem. */
export async function loadArtifactModel(bytes: Uint8Array, what: string): Promise<ArtifactModel> {
  let predictor;
  let artifact;
  try {
    artifact = parseArtifact(bytes);
    predictor = await loadPredictor(bytes);
  } catch (error) {
    if (error instanceof NsError) throw new NsError('NS_STORE', `${what}: ${error.message}`, { cause: error });
    throw error;
  }
  const trained = artifact.kind === 'gbdt' ? GbdtModel.fromArtifact(artifact) : artifact.kind === 'linear' ? LinearModel.fromArtifact(artifact) : null;
  return {
    kind: artifact.kind,
    task: artifact.task,
    featureSpec: predictor.featureSpec,
    artifact,
    trained,
    predict: async (X) => predictor.predictMatrix(X),
    close: () => predictor.close(),
  };
}
