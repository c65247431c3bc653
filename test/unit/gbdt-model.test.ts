/** GBDT model files and binning: artifacts round-trip, bad files fail loudly, thresholds match bins. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNsError } from '../../src/errors.ts';
import { binColumn, computeBinEdges, MISSING_BIN } from '../../src/trainers/gbdt/binning.ts';
import { GbdtModel, trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { lcg, nonlinear } from '../fixtures/gbdt/data.ts';

test('an artifact survives JSON and predicts identically, feature spec included', async () => {
  const data = nonlinear(3000, 5, 2, 0.05);
  const featureSpec = { version: 1, steps: ['standardize'] };
  const { model } = await trainGbdt(data, { objective: 'binary_logloss', numTrees: 20 }, { seed: 1 }, { featureSpec });
  const artifact = JSON.parse(JSON.stringify(model.toArtifact()));
  assert.equal(artifact.format, 'nightshift-model');
  assert.equal(artifact.version, 1);
  assert.equal(artifact.kind, 'gbdt');
  assert.equal(artifact.task, 'binary');
  assert.deepEqual(artifact.featureSpec, featureSpec);
  assert.deepEqual(artifact.features, data.features);
  assert.equal(artifact.params.numTrees, 20);
  const loaded = GbdtModel.fromArtifact(artifact);
  assert.deepEqual(loaded.predict(data.X), model.predict(data.X));
  assert.deepEqual(loaded.predictRaw(data.X), model.predictRaw(data.X));
});

test('fromArtifact rejects other formats, versions, kinds and damaged trees with NS_VALIDATION', async () => {
  const data = nonlinear(500, 3, 4);
  const good = (await trainGbdt(data, { objective: 'squared_error', numTrees: 2 }, { seed: 1 })).model.toArtifact();
  const bad = (change: (a: any) => void, field: string) => {
    const a = structuredClone(good) as any;
    change(a);
    assert.throws(() => GbdtModel.fromArtifact(a), (e: unknown) => isNsError(e) && e.code === 'NS_VALIDATION' && e.field === `artifact.${field}`);
  };
  bad((a) => (a.format = 'onnx'), 'format');
  bad((a) => (a.version = 2), 'version');
  bad((a) => (a.kind = 'linear'), 'kind');
  bad((a) => (a.task = 'binary'), 'task');
  bad((a) => a.body.binEdges.pop(), 'body.binEdges');
  bad((a) => (a.body.trees[0].left[0] = 0), 'body.trees[0]');
  bad((a) => (a.body.trees[1].feature[0] = 99), 'body.trees[1]');
  bad((a) => a.body.trees[0].value.pop(), 'body.trees[0]');
});

test('predict checks the number of feature columns', async () => {
  const data = nonlinear(300, 3, 4);
  const { model } = await trainGbdt(data, { objective: 'binary_logloss', numTrees: 1 }, { seed: 1 });
  assert.throws(() => model.predict({ rows: 1, columns: [new Float64Array(1)] }), (e: unknown) => isNsError(e) && e.code === 'NS_VALIDATION');
});

test('bin edges: few distinct values get midpoints; many get at most maxBins quantile bins', () => {
  assert.deepEqual(computeBinEdges(Float64Array.from([3, 1, 2, 2, NaN, 1]), 255, null).map(Math.fround), [1.5, 2.5, 3], 'midpoints, as float32 (each stored as the double bound of its float32)');
  assert.deepEqual(computeBinEdges(Float64Array.from([NaN, NaN]), 255, null), []);
  const r = lcg(1);
  const many = Float64Array.from({ length: 10_000 }, () => r() * 100);
  const edges = computeBinEdges(many, 16, null);
  assert.ok(edges.length <= 16 && edges.length >= 14);
  assert.ok(edges.every((e, i) => i === 0 || e > edges[i - 1]!));
  assert.equal(edges.at(-1), Math.max(...many));
});

test('binning agrees with the thresholds: bin <= b exactly when value <= edges[b], also at the edges', () => {
  const r = lcg(2);
  const values = Float64Array.from({ length: 5000 }, () => Math.round(r() * 400) / 4 - 50);
  const edges = computeBinEdges(values, 32, null);
  const probe = Float64Array.from([...values, ...edges, ...edges.map((e) => e + 1e-9), -Infinity, Infinity, NaN, 1e9]);
  const bins = new Uint8Array(probe.length);
  binColumn(probe, edges, bins, probe.length);
  for (let i = 0; i < probe.length; i++) {
    const v = probe[i]!;
    if (Number.isNaN(v)) {
      assert.equal(bins[i], MISSING_BIN);
      continue;
    }
    assert.ok(bins[i]! < edges.length);
    for (let b = 0; b < edges.length - 1; b++) assert.equal(bins[i]! <= b, v <= edges[b]!, `value ${v}, bin ${bins[i]}, edge ${b}`);
  }
});
