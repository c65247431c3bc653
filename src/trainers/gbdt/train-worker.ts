/**
 * Worker-thread entry of train-in-worker.ts: trains with the in-thread trainer and posts progress,
 * then the artifact (or the error) back. Cancellation is the parent terminating this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isNsError } from '../../errors.ts';
import { trainGbdt } from './boost.ts';
import { GbdtModel } from './model.ts';
import type { TrainWorkerData, TrainWorkerMessage } from './train-in-worker.ts';

const data = workerData as TrainWorkerData;
const post = (message: TrainWorkerMessage) => parentPort?.postMessage(message);

try {
  const result = await trainGbdt(
    data.set,
    data.params,
    { seed: data.seed, threads: data.threads, onProgress: (progress) => post({ type: 'progress', progress }) },
    {
      initModel: data.initArtifact === undefined ? undefined : GbdtModel.fromArtifact(data.initArtifact),
      valid: data.valid,
      featureSpec: data.featureSpec,
    },
  );
  const { model, ...info } = result;
  post({ type: 'done', artifact: model.toArtifact(), info });
} catch (error) {
  post({
    type: 'error',
    error: isNsError(error)
      ? { code: error.code, message: error.message, field: error.field, retryable: error.retryable, details: error.details }
      : { code: 'NS_INTERNAL', message: error instanceof Error ? error.message : String(error), retryable: false },
  });
}
