/**
 * Runs GBDT training in a worker thread, so it never occupies the calling (API) event loop.
 * Protocol: the worker gets the data and options as workerData and posts `progress` messages, then
 * one `done` (the artifact) or `error`. Aborting the signal terminates the thread at once (nothing
 * of a half-trained model is kept) and rejects with NS_JOB_CANCELLED.
 */
import { NsError, type ErrorCode } from '../../errors.ts';
import type { ModelArtifact, TrainContext, TrainingSet, TrainProgress } from '../types.ts';
import type { GbdtTrainOptions, GbdtTrainResult } from './boost.ts';
import { GbdtModel } from './model.ts';
import { spawnModuleWorker } from './spawn-worker.ts';

export interface TrainWorkerData {
  set: TrainingSet;
  params: unknown;
  seed: number;
  threads: number;
  valid?: TrainingSet;
  initArtifact?: ModelArtifact;
  featureSpec?: unknown;
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  field?: string;
  retryable: boolean;
  details?: Record<string, unknown>;
}

export type TrainWorkerMessage =
  | { type: 'progress'; progress: TrainProgress }
  | { type: 'done'; artifact: ModelArtifact; info: Omit<GbdtTrainResult, 'model'> }
  | { type: 'error'; error: SerializedError };

/** Same contract as trainGbdt, off the calling thread. The data is copied to the worker. */
export function trainGbdtInWorker(
  set: TrainingSet,
  params: unknown,
  ctx: TrainContext,
  options: GbdtTrainOptions = {},
): Promise<GbdtTrainResult> {
  const cancelled = () =>
    new NsError('NS_JOB_CANCELLED', 'GBDT training was cancelled', { cause: ctx.signal?.reason });
  if (ctx.signal?.aborted) return Promise.reject(cancelled());
  const data: TrainWorkerData = {
    set: { features: set.features, X: set.X, y: set.y },
    params,
    seed: ctx.seed,
    threads: ctx.threads ?? 1,
  };
  if (options.valid) data.valid = { features: options.valid.features, X: options.valid.X, y: options.valid.y };
  if (options.initModel) data.initArtifact = options.initModel.toArtifact();
  if (options.featureSpec !== undefined) data.featureSpec = options.featureSpec;
  const worker = spawnModuleWorker(new URL('./train-worker.ts', import.meta.url), { workerData: data });

  return new Promise<GbdtTrainResult>((resolve, reject) => {
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
    worker.on('message', (m: TrainWorkerMessage) => {
      if (m.type === 'progress') {
        try {
          ctx.onProgress?.(m.progress);
        } catch (error) {
          finish(() => reject(error));
        }
      } else if (m.type === 'done') {
        finish(() => {
          try {
            resolve({ ...m.info, model: GbdtModel.fromArtifact(m.artifact) });
          } catch (error) {
            reject(error);
          }
        });
      } else {
        const e = m.error;
        finish(() => reject(new NsError(e.code, e.message, { field: e.field, retryable: e.retryable, details: e.details })));
      }
    });
    worker.on('error', (error) =>
      finish(() => reject(new NsError('NS_INTERNAL', `GBDT training worker failed: ${error.message}`, { cause: error }))),
    );
    worker.on('exit', (code) =>
      finish(() => reject(new NsError('NS_INTERNAL', `GBDT training worker exited (code ${code}) without a result`))),
    );
  });
}
