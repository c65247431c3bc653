/** Linear/logistic training in a worker thread (see ../worker/run-training-worker.ts for the protocol). */
import { entryUrl } from '../../entries.ts';
import type { ModelArtifact, TrainContext, TrainingSet } from '../types.ts';
import { runTrainingWorker } from '../worker/run-training-worker.ts';
import type { TrainLinearOptions } from './train-linear.ts';
import { LinearModel } from './model.ts';
import type { LinearParams } from './params.ts';

export interface LinearWorkerData {
  set: TrainingSet;
  params: Partial<LinearParams> | Record<string, unknown>;
  seed: number;
  valid?: TrainingSet;
  initArtifact?: ModelArtifact;
  featureSpec?: unknown;
}

/** Same contract as trainLinear, off the calling thread. The data is copied to the worker. */
export async function trainLinearInWorker(
  set: TrainingSet,
  params: Partial<LinearParams> | Record<string, unknown>,
  ctx: TrainContext,
  options: TrainLinearOptions = {},
): Promise<LinearModel> {
  const data: LinearWorkerData = { set, params, seed: ctx.seed };
  if (options.valid) data.valid = options.valid;
  if (options.initModel) data.initArtifact = options.initModel.toArtifact();
  if (options.featureSpec !== undefined) data.featureSpec = options.featureSpec;
  const { artifact } = await runTrainingWorker<null>(entryUrl('linear-train-worker'), data, ctx, 'linear training');
  return LinearModel.fromArtifact(artifact);
}
