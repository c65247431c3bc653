/**
 * Batch prediction (batch-predict.ts): large batches are scored in WebAssembly over bin codes, on
 * one thread or several, and must give exactly the JavaScript walk's scores — with missing values
 * on either side, ±Infinity, values exactly at a threshold or just above it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GbdtModel, trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { compileTree, predictRaw, toPrediction } from '../../src/trainers/gbdt/predict.ts';
import type { Matrix } from '../../src/trainers/types.ts';
import { lcg, nonlinear } from '../fixtures/gbdt/data.ts';

/** The JavaScript walk over the raw values (predict.ts), whatever the batch size. */
const reference = (model: GbdtModel, X: Matrix) => predictRaw(model.body, X, model.body.trees.map(compileTree));

/** Rows that probe every routing case: thresholds exactly, one ulp above, NaN, ±Infinity, random values. */
function probeRows(model: GbdtModel, rows: number, seed: number): Matrix {
  const r = lcg(seed);
  const d = model.body.binEdges.length;
  const thresholds = model.body.trees.flatMap((t) => t.feature.map((f, node) => [f, t.threshold[node]!] as const).filter(([f]) => f >= 0));
  const columns = Array.from({ length: d }, () => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < d; f++) {
      const u = r();
      let v = r() * 2.4 - 1.2;
      if (u < 0.05) v = NaN;
      else if (u < 0.06) v = u < 0.055 ? Infinity : -Infinity;
      columns[f]![i] = v;
    }
    const [f, t] = thresholds[Math.floor(r() * thresholds.length)]!;
    columns[f]![i] = r() < 0.5 ? t : t + Math.abs(t) * Number.EPSILON + Number.MIN_VALUE;
  }
  return { rows, columns };
}

test('a large batch scores exactly as the JavaScript walk, on 1, 2 and 3 threads; small batches are unchanged', async () => {
  const data = nonlinear(30_000, 6, 21, 0.05);
  const { model } = await trainGbdt(data, { objective: 'binary_logloss', numTrees: 25, maxLeaves: 15 }, { seed: 4 });
  assert.ok(model.body.trees.some((t) => t.missingLeft.some((m, node) => m && t.feature[node]! >= 0)), 'some node sends missing values left');
  const X = probeRows(model, 12_345, 5); // several units, the last one partial, and not a multiple of 4
  const want = reference(model, X);
  for (const threads of [1, 2, 3]) {
    assert.deepEqual(model.predictRaw(X, { threads }), want, `${threads} thread(s)`);
    assert.deepEqual(model.predict(X, { threads }), toPrediction(model.body, want.slice()), `${threads} thread(s)`);
  }
  const small = { rows: 999, columns: X.columns.map((c) => c.subarray(0, 999)) };
  assert.deepEqual(model.predictRaw(small), want.subarray(0, 999));
});

test('squared error, and a model whose thresholds are not its bin edges (falls back to the JavaScript walk)', async () => {
  const data = nonlinear(5000, 4, 22);
  const { model } = await trainGbdt(data, { objective: 'squared_error', numTrees: 8, maxLeaves: 7 }, { seed: 1 });
  const X = probeRows(model, 3001, 6);
  assert.deepEqual(model.predict(X, { threads: 2 }), reference(model, X));
  const artifact = model.toArtifact();
  const body = structuredClone(model.body);
  body.trees[0]!.threshold[0] = body.trees[0]!.threshold[0]! + 1e-9; // no longer an edge
  const moved = GbdtModel.fromArtifact({ ...artifact, body });
  assert.deepEqual(moved.predict(X, { threads: 2 }), reference(moved, X));
});
