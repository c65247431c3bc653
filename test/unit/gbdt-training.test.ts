/** GBDT training behaviour: quality, early stopping, subsampling, incremental mode, threads, progress, abort. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNsError } from '../../src/errors.ts';
import { trainGbdt, type GbdtModel } from '../../src/trainers/gbdt/index.ts';
import type { TrainProgress } from '../../src/trainers/types.ts';
import { auc, lcg, makeSet, nonlinear, slice } from '../fixtures/gbdt/data.ts';

const logloss = (model: GbdtModel, set: ReturnType<typeof nonlinear>) => {
  const p = model.predict(set.X);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum -= set.y[i] === 1 ? Math.log(p[i]!) : Math.log(1 - p[i]!);
  return sum / p.length;
};

test('learns a nonlinear problem (holdout AUC > 0.9), also with 10% missing values', async () => {
  for (const missingRate of [0, 0.1]) {
    const data = nonlinear(6000, 6, 7, missingRate);
    const train = slice(data, 0, 4000);
    const test = slice(data, 4000, 6000);
    const { model } = await trainGbdt(train, { objective: 'binary_logloss', numTrees: 60, maxLeaves: 15 }, { seed: 1 });
    const score = auc(model.predict(test.X), test.y);
    assert.ok(score > (missingRate ? 0.85 : 0.9), `AUC ${score} with ${missingRate} missing`);
  }
});

test('early stopping stops after earlyStoppingRounds without improvement and keeps the best trees', async () => {
  // Labels are noise: the validation loss is best after very few trees, then only gets worse.
  const r = lcg(3);
  const n = 2000;
  const cols = [0, 1, 2].map(() => Array.from({ length: n }, () => r()));
  const y = Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  const data = makeSet(cols, y);
  const train = slice(data, 0, 1000);
  const valid = slice(data, 1000, 2000);
  const reports: TrainProgress[] = [];
  const result = await trainGbdt(
    train,
    { objective: 'binary_logloss', numTrees: 200, maxLeaves: 31, minSamplesLeaf: 2, learningRate: 0.3, earlyStoppingRounds: 5 },
    { seed: 1, onProgress: (p) => reports.push(p) },
    { valid },
  );
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.treesGrown, result.treesKept + 5);
  assert.equal(result.model.numTrees, result.treesKept);
  assert.ok(result.treesGrown < 200);
  const last = reports.at(-1)!;
  assert.equal(last.iteration, result.treesGrown);
  assert.ok(last.validLoss !== undefined && last.validLoss > result.bestValidLoss!);
  assert.ok(Math.abs(logloss(result.model, valid) - result.bestValidLoss!) < 1e-9, 'kept trees are the best iteration');
});

test('row and feature subsampling are deterministic by seed', async () => {
  const data = nonlinear(3000, 8, 11);
  const params = { objective: 'binary_logloss', numTrees: 8, rowSubsample: 0.5, featureSubsample: 0.5 };
  const a = await trainGbdt(data, params, { seed: 42 });
  const b = await trainGbdt(data, params, { seed: 42 });
  const c = await trainGbdt(data, params, { seed: 43 });
  assert.deepEqual(a.model.body, b.model.body);
  assert.notDeepEqual(a.model.body.trees, c.model.body.trees);
  // Each tree uses at most half of the features.
  for (const t of a.model.body.trees) assert.ok(new Set(t.feature.filter((f) => f >= 0)).size <= 4);
  // A bag that happens to hold every row still trains properly (regression: cached root counts).
  const small = slice(data, 0, 40);
  const bagged = await trainGbdt(small, { objective: 'binary_logloss', numTrees: 20, rowSubsample: 0.99, minSamplesLeaf: 2 }, { seed: 1 });
  const full = await trainGbdt(small, { objective: 'binary_logloss', numTrees: 20, minSamplesLeaf: 2 }, { seed: 1 });
  assert.ok(bagged.model.body.trees.every((t) => t.feature.length > 1));
  assert.ok(auc(bagged.model.predict(small.X), small.y) > 0.9 && auc(full.model.predict(small.X), small.y) > 0.9);
});

test('incremental mode keeps the bins and trees of the initial model and adds numTrees more', async () => {
  const data = nonlinear(4000, 5, 5);
  const old = slice(data, 0, 2000);
  const recent = slice(data, 2000, 4000);
  const init = (await trainGbdt(old, { objective: 'binary_logloss', numTrees: 10 }, { seed: 1 })).model;
  const before = logloss(init, recent);
  const { model } = await trainGbdt(recent, { numTrees: 5 }, { seed: 2 }, { initModel: init });
  assert.equal(model.numTrees, 15);
  assert.deepEqual(model.body.trees.slice(0, 10), init.body.trees);
  assert.deepEqual(model.body.binEdges, init.body.binEdges);
  assert.equal(model.body.baseScore, init.body.baseScore);
  assert.ok(logloss(model, recent) < before, 'the new trees fit the recent window');

  await assert.rejects(
    trainGbdt(recent, { objective: 'squared_error', numTrees: 1 }, { seed: 1 }, { initModel: init }),
    (e: unknown) => isNsError(e) && e.code === 'NS_VALIDATION' && e.field === 'params.objective',
  );
});

test('histograms on worker threads give exactly the model of the single-threaded path', async () => {
  const data = nonlinear(20_000, 7, 9, 0.05);
  const params = { objective: 'binary_logloss', numTrees: 5, parallelMinCells: 0 };
  const one = await trainGbdt(data, params, { seed: 1, threads: 1 });
  const two = await trainGbdt(data, params, { seed: 1, threads: 2 });
  assert.equal(one.threadsUsed, 1);
  assert.equal(two.threadsUsed, 2);
  assert.deepEqual(two.model.body, one.model.body);
});

test('progress reports iterations with the training loss; an AbortSignal stops training with NS_JOB_CANCELLED', async () => {
  const data = nonlinear(2000, 4, 1);
  const controller = new AbortController();
  const seen: TrainProgress[] = [];
  const run = trainGbdt(data, { objective: 'binary_logloss', numTrees: 1000 }, {
    seed: 1,
    signal: controller.signal,
    onProgress: (p) => {
      seen.push(p);
      if (p.iteration === 3) controller.abort(new Error('user cancelled'));
    },
  });
  await assert.rejects(run, (e: unknown) => isNsError(e) && e.code === 'NS_JOB_CANCELLED' && /cancelled after 3 trees/.test(e.message));
  assert.deepEqual(seen.map((p) => p.iteration), [1, 2, 3], 'one report per tree; the abort is honoured before the next tree');
  assert.ok(seen.every((p) => Number.isFinite(p.trainLoss) && p.trainLoss > 0));

  const aborted = AbortSignal.abort();
  await assert.rejects(trainGbdt(data, { objective: 'binary_logloss' }, { seed: 1, signal: aborted }), (e: unknown) => isNsError(e) && e.code === 'NS_JOB_CANCELLED');
});

test('bad inputs fail at once with NS_VALIDATION naming the field', async () => {
  const data = makeSet([[1, 2, 3]], [0, 1, 0]);
  const field = (p: Promise<unknown>, name: string) =>
    assert.rejects(p, (e: unknown) => isNsError(e) && e.code === 'NS_VALIDATION' && e.field === name);
  await field(trainGbdt(data, { objective: 'binary_logloss', learningRate: 0 }, { seed: 1 }), 'params.learningRate');
  await field(trainGbdt(data, { objective: 'binary_logloss', maxBins: 256 }, { seed: 1 }), 'params.maxBins');
  await field(trainGbdt(data, { objective: 'binary_logloss', numLeaves: 31 }, { seed: 1 }), 'params.numLeaves');
  await field(trainGbdt(data, {}, { seed: 1 }), 'params.objective');
  await field(trainGbdt(makeSet([[1, 2]], [0, 2]), { objective: 'binary_logloss' }, { seed: 1 }), 'set.y');
  await field(trainGbdt(makeSet([[1, 2]], [0, NaN]), { objective: 'squared_error' }, { seed: 1 }), 'set.y');
});
