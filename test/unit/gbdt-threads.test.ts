/**
 * GBDT on a thread team: with data large enough that partitions, gradients and score updates are
 * split into chunks across threads (not only histograms), 2 threads give exactly the 1-thread model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainGbdt, trainGbdtInWorker } from '../../src/trainers/gbdt/index.ts';
import { nonlinear } from '../fixtures/gbdt/data.ts';

// Many chunks of CHUNK_ROWS (team-protocol.ts): the large partitions and every per-row pass run in parallel.
const data = nonlinear(120_000, 6, 11, 0.03);

const same = async (params: Record<string, unknown>) => {
  const one = await trainGbdt(data, params, { seed: 3, threads: 1 });
  const two = await trainGbdt(data, params, { seed: 3, threads: 2 });
  assert.equal(one.threadsUsed, 1);
  assert.equal(two.threadsUsed, 2);
  assert.deepEqual(two.model.body, one.model.body);
  return one;
};

test('binary log-loss, with missing values and past the exact-gradient refresh: 2 threads = 1 thread', async () => {
  const one = await same({ objective: 'binary_logloss', numTrees: 20, maxLeaves: 15, parallelMinCells: 0 });
  assert.equal(one.treesGrown, 20);
});

test('squared error, row and feature subsampling: 2 threads = 1 thread', async () => {
  await same({ objective: 'squared_error', numTrees: 6, rowSubsample: 0.7, featureSubsample: 0.5, parallelMinCells: 0 });
});

test('deeper trees with small leaves: 2 threads = 1 thread', async () => {
  await same({ objective: 'binary_logloss', numTrees: 3, maxLeaves: 63, minSamplesLeaf: 5, parallelMinCells: 0 });
});

test('a training worker runs its own thread team: same model as in the calling thread', async () => {
  const params = { objective: 'binary_logloss', numTrees: 4, parallelMinCells: 0 };
  const here = await trainGbdt(data, params, { seed: 5, threads: 1 });
  const there = await trainGbdtInWorker(data, params, { seed: 5, threads: 2 });
  assert.equal(there.threadsUsed, 2);
  assert.deepEqual(there.model.body, here.model.body);
});
