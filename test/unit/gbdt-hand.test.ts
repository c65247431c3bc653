/** GBDT on cases small enough to compute by hand: every threshold and leaf value is checked exactly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import type { GbdtTree } from '../../src/trainers/types.ts';
import { makeSet } from '../fixtures/gbdt/data.ts';

const ctx = { seed: 1 };
const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} ≉ ${b}`);
const leaves = (t: GbdtTree) => t.feature.filter((f) => f === -1).length;

test('one split separates y: threshold is the midpoint, leaf values are −G/(H+λ)·lr (squared error)', async () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const y = [0, 0, 0, 0, 10, 10, 10, 10];
  const params = { objective: 'squared_error', numTrees: 1, learningRate: 0.5, l2: 1, minSamplesLeaf: 1 };
  const { model } = await trainGbdt(makeSet([x], y), params, ctx);
  const body = model.body;
  assert.equal(body.baseScore, 5);
  assert.equal(body.trees.length, 1);
  const t = body.trees[0]!;
  assert.deepEqual(t.feature, [0, -1, -1], 'one split, then both sides are pure');
  assert.equal(Math.fround(t.threshold[0]!), 4.5, 'the midpoint (stored as the double bound of its float32, see binning.ts)');
  // g = base − y: left G = 4·5 = 20, H = 4; right G = −20, H = 4.
  assert.equal(t.value[t.left[0]!], (-20 / (4 + 1)) * 0.5);
  assert.equal(t.value[t.right[0]!], (20 / (4 + 1)) * 0.5);
  assert.deepEqual([...model.predict(makeSet([[4, 4.5, 4.50001, 100]], [0, 0, 0, 0]).X)], [3, 3, 7, 7]);
});

test('binary logloss: base is the log-odds, first-tree leaves are −G/(H+λ)·lr with g = p − y, h = p(1 − p)', async () => {
  const x = [1, 1, 1, 1, 2, 2, 2, 2, 2, 2];
  const y = [0, 0, 0, 1, 1, 1, 1, 1, 0, 1];
  const [lr, l2] = [0.3, 1];
  const { model } = await trainGbdt(makeSet([x], y), { objective: 'binary_logloss', numTrees: 1, learningRate: lr, l2, minSamplesLeaf: 1 }, ctx);
  const p = 0.6;
  close(model.body.baseScore, Math.log(p / (1 - p)));
  const t = model.body.trees[0]!;
  assert.equal(Math.fround(t.threshold[0]!), 1.5, 'the midpoint (stored as the double bound of its float32, see binning.ts)');
  const [gl, hl] = [4 * p - 1, 4 * p * (1 - p)];
  const [gr, hr] = [6 * p - 5, 6 * p * (1 - p)];
  close(t.value[t.left[0]!]!, (-gl / (hl + l2)) * lr);
  close(t.value[t.right[0]!]!, (-gr / (hr + l2)) * lr);
  const probs = model.predict(makeSet([[1, 2]], [0, 0]).X);
  close(probs[0]!, 1 / (1 + Math.exp(-(Math.log(1.5) + (-gl / (hl + l2)) * lr))));
});

test('missing values go to the side learned for them', async () => {
  const x = [1, 2, 3, 4, NaN, NaN];
  const params = { objective: 'squared_error', numTrees: 1, learningRate: 1, minSamplesLeaf: 1 };
  // Missing rows look like the large values: they must go right.
  const right = (await trainGbdt(makeSet([x], [0, 0, 10, 10, 10, 10]), params, ctx)).model;
  // Missing rows look like the small values: they must go left.
  const left = (await trainGbdt(makeSet([x], [0, 0, 10, 10, 0, 0]), params, ctx)).model;
  for (const [model, missingLeft] of [[right, false], [left, true]] as const) {
    const t = model.body.trees[0]!;
    assert.deepEqual(t.feature, [0, -1, -1]);
    assert.equal(Math.fround(t.threshold[0]!), 2.5, 'the midpoint (stored as the double bound of its float32, see binning.ts)');
    assert.equal(t.missingLeft[0], missingLeft);
  }
  const probe = makeSet([[NaN, 1, 4]], [0, 0, 0]).X;
  assert.deepEqual([...right.predict(probe)], [10, 0, 10]);
  assert.deepEqual([...left.predict(probe)], [0, 0, 10]);
});

test('a node without missing values in training sends them to its larger side', async () => {
  const x = [1, 2, 3, 4, 5, 6];
  const { model } = await trainGbdt(makeSet([x], [0, 0, 5, 5, 5, 5]), { objective: 'squared_error', numTrees: 1, learningRate: 1, minSamplesLeaf: 1 }, ctx);
  const t = model.body.trees[0]!;
  assert.equal(Math.fround(t.threshold[0]!), 2.5, 'the midpoint (stored as the double bound of its float32, see binning.ts)');
  assert.equal(t.missingLeft[0], false);
  assert.equal(model.predict(makeSet([[NaN]], [0]).X)[0], 5);
});

test('a constant feature is never split; with nothing else to split on the tree is one leaf', async () => {
  const n = 64;
  const constant = new Array<number>(n).fill(3);
  const noisy = Array.from({ length: n }, (_, i) => (i * 37) % 11);
  const y = Array.from({ length: n }, (_, i) => (i * 13) % 7);
  const { model } = await trainGbdt(makeSet([constant, noisy], y), { objective: 'squared_error', numTrees: 5, minSamplesLeaf: 1, maxLeaves: 8 }, ctx);
  assert.deepEqual(model.body.binEdges[0], [3]);
  assert.ok(model.body.trees.every((t) => !t.feature.includes(0)));
  assert.ok(model.body.trees.some((t) => t.feature.includes(1)));

  const only = (await trainGbdt(makeSet([constant], y), { objective: 'squared_error', numTrees: 3 }, ctx)).model;
  assert.ok(only.body.trees.every((t) => t.feature.length === 1 && t.feature[0] === -1));
  const mean = y.reduce((a, b) => a + b, 0) / n;
  for (const v of only.predict(makeSet([[3, 100]], [0, 0]).X)) close(v, mean);
});

test('one row per leaf: with minSamplesLeaf 1 and maxLeaves n, λ 0 and lr 1 the tree reproduces y', async () => {
  const x = [8, 3, 5, 1, 7, 2, 6, 4];
  const y = [1.5, -2, 4, 0.25, 9, 3, -1, 2];
  const { model } = await trainGbdt(makeSet([x], y), { objective: 'squared_error', numTrees: 1, learningRate: 1, l2: 0, minSamplesLeaf: 1, maxLeaves: 8 }, ctx);
  assert.equal(leaves(model.body.trees[0]!), 8);
  const pred = model.predict(makeSet([x], y).X);
  pred.forEach((v, i) => close(v, y[i]!));
});

test('maxLeaves, maxDepth and minSamplesLeaf bound the tree', async () => {
  const n = 200;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((v) => Math.sin(v / 7));
  const train = (extra: Record<string, unknown>) =>
    trainGbdt(makeSet([x], y), { objective: 'squared_error', numTrees: 1, minSamplesLeaf: 1, ...extra }, ctx).then((r) => r.model.body.trees[0]!);
  assert.equal(leaves(await train({ maxLeaves: 5 })), 5);
  assert.ok(leaves(await train({ maxLeaves: 64, maxDepth: 2 })) <= 4);
  const big = await train({ maxLeaves: 64, minSamplesLeaf: 40 });
  assert.ok(leaves(big) <= 5 && leaves(big) >= 2);
});
