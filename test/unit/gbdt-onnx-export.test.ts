/**
 * The check, on a model we trained (not a hand-built ensemble): our GBDT exported to ONNX
 * and run by onnxruntime-node agrees with our own predictions within 1e-5 over 10,000 rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { exportGbdtToOnnx, OnnxModel } from '../../src/trainers/onnx/index.ts';
import type { Matrix } from '../../src/trainers/types.ts';
import { nonlinear } from '../fixtures/gbdt/data.ts';

const ROWS = 10_000;
const FEATURES = 12;

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length, 'both predict every row');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

for (const task of ['binary', 'regression'] as const) {
  test(`a trained ${task} GBDT exported to ONNX predicts within 1e-5 of ours over ${ROWS} rows (with missing values)`, { timeout: 60_000 }, async () => {
    const train = nonlinear(20_000, FEATURES, 11, 0.05);
    if (task === 'regression') {
      // A numeric target from the same features: the label's log-odds made continuous.
      const present = (v: number) => (Number.isNaN(v) ? 0 : v);
      train.y = Float64Array.from(train.y, (v, i) => v * 3 + Math.sin(present(train.X.columns[0]![i]!) * 2) + present(train.X.columns[1]![i]!));
    }
    const { model } = await trainGbdt(train, { objective: task === 'binary' ? 'binary_logloss' : 'squared_error', numTrees: 60, maxLeaves: 31, learningRate: 0.1 }, { seed: 5 });
    const rows = nonlinear(ROWS, FEATURES, 99, 0.05).X;
    const ours = model.predict(rows);
    for (const inputType of ['float', 'double'] as const) {
      const onnx = await OnnxModel.load(exportGbdtToOnnx(model.body, FEATURES, task, { inputType }));
      try {
        const theirs = await onnx.predict(rows as Matrix);
        const diff = maxAbsDiff(ours, theirs);
        assert.ok(diff <= 1e-5, `${inputType} input: max |ours − onnxruntime| = ${diff}`);
      } finally {
        await onnx.dispose();
      }
    }
  });
}
