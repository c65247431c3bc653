/** GBDT training in a worker thread (see ../worker/run-training-worker.ts for the protocol). */
import { entryUrl } from '../../entries.ts';
import type { ModelArtifact, TrainContext, TrainingSet } from '../types.ts';
import { runTrainingWorker } from '../worker/run-training-worker.ts';
import type { GbdtTrainOptions, GbdtTrainResult } from './boost.ts';
import { GbdtModel } from './model.ts';

export interface TrainWorkerData {
  set: TrainingSet;
  params: unknown;
  seed: number;
  threads: number;
  valid?: TrainingSet;
  initArtifact?: ModelArtifact;
  featureSpec?: unknown;
}

export type GbdtWorkerInfo = Omit<GbdtTrainResult, 'model'>;

/** Same contract as trainGbdt, off the calling thread. The data is copied to the worker. */
export async function trainGbdtInWorker(set: TrainingSet, params: unknown, ctx: TrainContext, options: GbdtTrainOptions = {}): Promise<GbdtTrainResult> {
  const data: TrainWorkerData = { set: { features: set.features, X: set.X, y: set.y }, params, seed: ctx.seed, threads: ctx.threads ?? 1 };
  if (options.valid) data.valid = { features: options.valid.features, X: options.valid.X, y: options.valid.y };
  if (options.initModel) data.initArtifact = options.initModel.toArtifact();
  if (options.featureSpec !== undefined) data.featureSpec = options.featureSpec;
  const { artifact, info } = await runTrainingWorker<GbdtWorkerInfo>(entryUrl('gbdt-train-worker'), data, ctx, 'GBDT training');
  return { ...info, model: GbdtModel.fromArtifact(artifact) };
}
