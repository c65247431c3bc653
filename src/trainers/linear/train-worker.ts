/** Worker-thread entry of train-in-worker.ts. Cancellation is the parent terminating this thread. */
import { workerData } from 'node:worker_threads';
import { serveTraining } from '../worker/run-training-worker.ts';
import { trainLinear } from './train-linear.ts';
import { LinearModel } from './model.ts';
import type { LinearWorkerData } from './train-in-worker.ts';

const data = workerData as LinearWorkerData;

await serveTraining<null>(async (onProgress) => {
  const model = await trainLinear(data.set, data.params, { seed: data.seed, onProgress }, {
    ...(data.initArtifact ? { initModel: LinearModel.fromArtifact(data.initArtifact) } : {}),
    ...(data.valid ? { valid: data.valid } : {}),
    ...(data.featureSpec !== undefined ? { featureSpec: data.featureSpec } : {}),
  });
  return { artifact: model.toArtifact(), info: null };
});
