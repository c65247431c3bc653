/** Linear training off the event loop: the worker path gives the in-thread model, reports progress, and aborts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainLinear, trainLinearInWorker } from '../../src/trainers/linear/index.ts';
import { nonlinear } from '../fixtures/gbdt/data.ts';

const set = () => {
  const s = nonlinear(4_000, 6, 3);
  // Linear models want no missing values here; nonlinear() without a missing rate has none.
  return s;
};

test('trainLinearInWorker returns the same model as trainLinear, with progress from the worker', { timeout: 60_000 }, async () => {
  const params = { task: 'binary', epochs: 5 };
  const inThread = await trainLinear(set(), params, { seed: 9 });
  const progress: number[] = [];
  const inWorker = await trainLinearInWorker(set(), params, { seed: 9, onProgress: (p) => progress.push(p.iteration) });
  assert.deepEqual(progress, [1, 2, 3, 4, 5], 'one progress message per epoch, from the worker');
  const a = inThread.predict(set().X);
  const b = inWorker.predict(set().X);
  assert.deepEqual(Array.from(b), Array.from(a), 'identical predictions');
});

test('aborting terminates the worker and rejects with NS_JOB_CANCELLED', { timeout: 60_000 }, async () => {
  const controller = new AbortController();
  const pending = trainLinearInWorker(nonlinear(50_000, 6, 4), { task: 'binary', epochs: 500 }, {
    seed: 1,
    signal: controller.signal,
    onProgress: () => controller.abort(),
  });
  await assert.rejects(pending, { code: 'NS_JOB_CANCELLED' });
});
