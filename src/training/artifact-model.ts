/**
 * A registered artifact back as a model for training: the champion scored on a candidate's holdout
 * (through serving's predictor, so our models and imported ONNX ones alike), and — for our GBDT and
 * linear models — the trained model an incremental run continues from.
 */
import { NsError } from '../errors.ts';
import type { FeatureSpec } from '../data/features/index.ts';
import { parseArtifact, predictorOf } from '../serving/predictor.ts';
import { GbdtModel } from '../trainers/gbdt/index.ts';
import { LinearModel } from '../trainers/linear/index.ts';
import type { Matrix, ModelArtifact, Task } from '../trainers/types.ts';

export interface ArtifactModel {
  kind: string;
  task: Task;
  featureSpec: FeatureSpec;
  artifact: ModelArtifact;
  /** Binary decision threshold, as serving applies it (the artifact's own, else the default). */
  threshold: number;
  /** GBDT or linear model, for incremental training (built on first use); null for an imported ONNX model. */
  readonly trained: GbdtModel | LinearModel | null;
  /** `threads`: a GBDT scores a large matrix on that many threads (the same numbers as the predictor's). */
  predict(X: Matrix, options?: { threads?: number }): Promise<Float64Array>;
  close(): Promise<void>;
}

/** `what` names the artifact in errors: a stored artifact that cannot be read is a store problem. */
export async function loadArtifactModel(bytes: Uint8Array, what: string): Promise<ArtifactModel> {
  let predictor;
  let artifact;
  try {
    artifact = parseArtifact(bytes);
    predictor = await predictorOf(artifact, bytes.byteLength);
  } catch (error) {
    if (error instanceof NsError) throw new NsError('NS_STORE', `${what}: ${error.message}`, { cause: error });
    throw error;
  }
  const stored = artifact;
  let trained: GbdtModel | LinearModel | null | undefined;
  const trainedModel = () => (trained ??= stored.kind === 'gbdt' ? GbdtModel.fromArtifact(stored) : stored.kind === 'linear' ? LinearModel.fromArtifact(stored) : null);
  return {
    kind: artifact.kind,
    task: artifact.task,
    featureSpec: predictor.featureSpec,
    artifact,
    threshold: predictor.threshold,
    // An incremental training continues from the model itself; scoring goes through the predictor,
    // except a GBDT scored on several threads (the same numbers, from its threaded batch path).
    get trained() {
      return trainedModel();
    },
    predict: async (X, options) => {
      const threads = options?.threads ?? 1;
      const model = threads > 1 ? trainedModel() : null;
      if (model instanceof GbdtModel) return model.predict(X, { threads });
      return predictor.predictMatrix(X);
    },
    close: () => predictor.close(),
  };
}
