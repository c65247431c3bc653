/**
 * Runs a trainer in a worker thread, so training never occupies the calling (API) event loop.
 * Protocol: the worker gets its input as workerData and posts `progress` messages, then one `done`
 * (the artifact plus trainer-specific info) or `error`. Aborting the signal terminates the thread
 * at once (nothing half-trained is kept) and rejects with NS_JOB_CANCELLED.
 */
import { parentPort } from 'node:worker_threads';
import { isNsError, NsError, type ErrorCode } from '../../errors.ts';
import type { ModelArtifact, TrainContext, TrainProgress } from '../types.ts';
import { spawnModuleWorker } from './spawn-worker.ts';

export interface SerializedError {
  code: ErrorCode;
  message: string;
  field?: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

export type TrainWorkerMessage<Info> =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; artifact: ModelArtifact; info: Info }
  | { type: 'error'; error: SerializedError };

export function runTrainingWorker<Info>(entry: URL, workerData: unknown, ctx: TrainContext, what: string): Promise<{ artifact: ModelArtifact; info: Info }> {
  const cancelled = () => new NsError('NS_JOB_CANCELLED', `${what} was cancelled`, { cause: ctx.signal?.reason });
  if (ctx.signal?.aborted) return Promise.reject(cancelled());
  const worker = spawnModuleWorker(entry, { workerData });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      ctx.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const onAbort = () => finish(() => reject(cancelled()));
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: TrainWorkerMessage<Info>) => {
      if (m.type === 'progress') {
        try {
          ctx.onProgress?.(m.progress);
        } catch (error) {
          finish(() => reject(error));
        }
      } else if (m.type === 'done') {
        finish(() => resolve({ artifact: m.artifact, info: m.info }));
      } else {
        const e = m.error;
        finish(() => reject(new NsError(e.code, e.message, { field: e.field, retryable: e.retryable, details: e.details })));
      }
    });
    worker.on('error', (error) => finish(() => reject(new NsError('NS_INTERNAL', `${what} worker failed: ${error.message}`, { cause: error }))));
    worker.on('exit', (code) => finish(() => reject(new NsError('NS_INTERNAL', `${what} worker exited (code ${code}) without a result`))));
  });
}

/** Inside a worker: run the training, posting progress and then its result or its error. */
export async function serveTraining<Info>(train: (onProgress: (p: TrainProgress) => void) => Promise<{ artifact: ModelArtifact; info: Info }>): Promise<void> {
  const post = (message: TrainWorkerMessage<Info>) => parentPort?.postMessage(message);
  try {
    const { artifact, info } = await train((progress) => post({ type: 'progress', progress }));
    post({ type: 'done', artifact, info });
  } catch (error) {
    post({
      type: 'error',
      error: isNsError(error)
        ? { code: error.code, message: error.message, field: error.field, retryable: error.retryable, details: error.details }
        : { code: 'NS_INTERNAL', message: error instanceof Error ? error.message : String(error), retryable: false },
    });
  }
}
