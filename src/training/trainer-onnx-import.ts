/**
 * Importing an ONNX model (a LightGBM model converted elsewhere, or one of our own exports) as a
 * version of a declared model: a run like a training, whose "training" is wrapping the uploaded
 * bytes with the feature spec fitted on the window (a declaration that pins its vocabulary keeps
 * it), so the model is served from raw rows like a trained one. The ONNX model's categorical inputs
 * must therefore use those codes. Scored, gated and registered like any candidate; promoted only
 * when the import asked for it.
 */
import { isNsError, NsError } from '../errors.ts';
import { onnxArtifact } from '../serving/onnx-artifact.ts';
import { predictorOf } from '../serving/predictor.ts';
import type { Trainer } from './trainer.ts';

/** What an import run was asked (its params), with the model bytes read from the run's input. */
export interface OnnxImportRequest {
  bytes: Uint8Array;
  threshold?: number;
  outputName?: string;
  promote: boolean;
}

export function onnxImportTrainer(request: OnnxImportRequest): Trainer {
  return {
    name: 'onnx-import',
    usesTrainingRows: false,
    canContinue: () => false,
    async train(input) {
      const { definition: def } = input;
      let artifact;
      try {
        artifact = await onnxArtifact(request.bytes, {
          task: def.task,
          featureSpec: input.spec,
          ...(request.outputName !== undefined ? { outputName: request.outputName } : {}),
          ...(request.threshold !== undefined ? { threshold: request.threshold } : {}),
        });
      } catch (error) {
        // A width mismatch names the file, which is what the caller can change.
        if (isNsError(error) && error.field === 'featureSpec') {
          throw new NsError('NS_VALIDATION', `onnx: does not fit model "${def.name}": its declared features ${error.message.replace(/^featureSpec: /, '')}`, { field: 'onnx', cause: error });
        }
        throw error;
      }
      const predictor = await predictorOf(artifact, request.bytes.byteLength);
      const params = { ...artifact.params, ...(request.outputName !== undefined ? { outputName: request.outputName } : {}) };
      return { artifact, predict: async (X) => predictor.predictMatrix(X), threshold: predictor.threshold, counts: { onnxBytes: request.bytes.byteLength }, params, close: () => predictor.close() };
    },
  };
}
