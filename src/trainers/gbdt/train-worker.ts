/** Worker-thread entry of train-in-worker.ts. Cancellation is the parent terminating this thread. */
import { workerData } from 'node:worker_threads';
import { serveTraining } from '../worker/run-training-worker.ts';
import { trainGbdt } from './boost.ts';
import { GbdtModel } from './model.ts';
import type { GbdtWorkerInfo, TrainWorkerData } from './train-in-worker.ts';

const data = workerData as TrainWorkerData;

await serveTraining<GbdtWorkerInfo>(async (onProgress) => {
  const { model, ...info } = await trainGbdt(
    data.set,
    data.params,
    { seed: data.seed, threads: data.threads, onProgress },
    {
      initModel: data.initArtifact === undefined ? undefined : GbdtModel.fromArtifact(data.initArtifact),
      valid: data.valid,
      featureSpec: data.featureSpec,
    },
  );
  return { artifact: model.toArtifact(), info };
});
