/** Training off the calling thread: same model as in-thread, progress forwarded, prompt abort, errors typed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNsError } from '../../src/errors.ts';
import { trainGbdt, trainGbdtInWorker } from '../../src/trainers/gbdt/index.ts';
import type { TrainProgress } from '../../src/trainers/types.ts';
import { nonlinear, slice } from '../fixtures/gbdt/data.ts';

test('the worker-thread path gives the same model as the in-thread path, with progress', async () => {
  const data = nonlinear(3000, 5, 8, 0.05);
  const train = slice(data, 0, 2000);
  const valid = slice(data, 2000, 3000);
  const params = { objective: 'binary_logloss', numTrees: 15, rowSubsample: 0.8 };
  const reports: TrainProgress[] = [];
  const inThread = await trainGbdt(train, params, { seed: 5 }, { valid, featureSpec: { v: 1 } });
  const inWorker = await trainGbdtInWorker(train, params, { seed: 5, onProgress: (p) => reports.push(p) }, { valid, featureSpec: { v: 1 } });
  assert.deepEqual(inWorker.model.body, inThread.model.body);
  assert.deepEqual(inWorker.model.featureSpec, { v: 1 });
  assert.equal(inWorker.treesKept, inThread.treesKept);
  assert.deepEqual(reports.map((p) => p.iteration), Array.from({ length: inWorker.treesGrown }, (_, i) => i + 1));
  assert.ok(reports.every((p) => p.validLoss !== undefined));

  const more = await trainGbdtInWorker(valid, { numTrees: 3 }, { seed: 6 }, { initModel: inWorker.model });
  assert.equal(more.model.numTrees, inWorker.model.numTrees + 3);
});

test('aborting terminates the worker promptly with NS_JOB_CANCELLED', async () => {
  const data = nonlinear(20_000, 8, 3);
  const controller = new AbortController();
  const started = performance.now();
  let abortedAt = 0;
  const run = trainGbdtInWorker(data, { objective: 'binary_logloss', numTrees: 100_000 }, {
    seed: 1,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.iteration === 2) {
        abortedAt = performance.now();
        controller.abort();
      }
    },
  });
  await assert.rejects(run, (e: unknown) => isNsError(e) && e.code === 'NS_JOB_CANCELLED');
  assert.ok(abortedAt > started);
  // 100 000 trees would take minutes: a few seconds tells "stopped" from "ran on", even when a loaded
  // CI machine is slow to schedule the worker's termination.
  const lag = performance.now() - abortedAt;
  assert.ok(lag < 5_000, `rejected ${lag.toFixed(0)} ms after the abort`);
  await assert.rejects(trainGbdtInWorker(data, { objective: 'binary_logloss' }, { seed: 1, signal: AbortSignal.abort() }), (e: unknown) => isNsError(e) && e.code === 'NS_JOB_CANCELLED');
});

test('errors inside the worker come back as the same NsError', async () => {
  const data = nonlinear(100, 3, 3);
  await assert.rejects(
    trainGbdtInWorker(data, { objective: 'binary_logloss', maxLeaves: 1 }, { seed: 1 }),
    (e: unknown) => isNsError(e) && e.code === 'NS_VALIDATION' && e.field === 'params.maxLeaves',
  );
});
