/**
 * A trained linear or logistic model exported to ONNX and run by onnxruntime-node predicts what
 * LinearModel.predict does, to 1e-12, on rows with everything the standardiser treats specially:
 * missing and infinite numbers, missing, unseen and non-integer category codes, a categorical
 * feature before a numeric one (the one-hot columns sit between numeric columns in the layout).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trainLinear, type LinearBody, type LinearModel } from '../../src/trainers/linear/index.ts';
import { exportLinearToOnnx, OnnxModel } from '../../src/trainers/onnx/index.ts';
import { seededRandom } from '../../src/trainers/random.ts';
import type { FeatureInfo, Matrix, Task, TrainingSet } from '../../src/trainers/types.ts';

const FEATURES: FeatureInfo[] = [
  { name: 'site', type: 'categorical', categories: ['north', 'south', 'east'] },
  { name: 'temp', type: 'numeric' },
  { name: 'model', type: 'categorical', categories: ['a', 'b'] },
  { name: 'load', type: 'numeric' },
];

function trainingSet(rows: number, seed: number, task: Task): TrainingSet {
  const random = seededRandom(seed);
  const site = Float64Array.from({ length: rows }, () => Math.floor(3 * random()));
  const temp = Float64Array.from({ length: rows }, () => (random() < 0.1 ? Number.NaN : 20 + 10 * random()));
  const model = Float64Array.from({ length: rows }, () => (random() < 0.1 ? Number.NaN : Math.floor(2 * random())));
  const load = Float64Array.from({ length: rows }, () => 1000 * random());
  const y = Float64Array.from({ length: rows }, (_, i) => {
    const z = 0.8 * (site[i]! - 1) + 0.1 * ((Number.isNaN(temp[i]!) ? 25 : temp[i]!) - 25) + (model[i] === 1 ? 0.7 : 0) + 0.002 * (load[i]! - 500);
    return task === 'binary' ? (random() < 1 / (1 + Math.exp(-z)) ? 1 : 0) : z + 0.1 * random();
  });
  return { features: FEATURES, X: { rows, columns: [site, temp, model, load] }, y };
}

/** Rows the standardiser must impute: NaN and ±∞ numbers; NaN, unseen (7, −1) and 0.5 codes. */
function oddRows(): Matrix {
  const site = [0, 1, 2, Number.NaN, 7, -1, 0.5, -0, 2, 1];
  const temp = [21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 30, -5, 1e6, 25, 0, 22.5];
  const model = [0, 1, Number.NaN, 3, 1, 0, 0.25, 1, -2, 0];
  const load = [0, 999, 500, Number.NaN, 1, 2, 3, Number.POSITIVE_INFINITY, 250, 750];
  return { rows: site.length, columns: [site, temp, model, load].map((c) => Float64Array.from(c)) };
}

async function agree(model: LinearModel, X: Matrix): Promise<number> {
  const onnx = await OnnxModel.load(exportLinearToOnnx(model.toArtifact().body as LinearBody, FEATURES));
  try {
    assert.equal(onnx.inputType, 'float64');
    assert.equal(onnx.featureCount, FEATURES.length);
    const theirs = await onnx.predict(X);
    const ours = model.predict(X);
    let worst = 0;
    for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(theirs[i]! - ours[i]!));
    return worst;
  } finally {
    await onnx.dispose();
  }
}

describe('linear models exported to ONNX', () => {
  for (const task of ['binary', 'regression'] as const) {
    test(`a trained ${task} model predicts within 1e-12 of ours, missing and unknown values included`, async () => {
      const model = await trainLinear(trainingSet(2000, 1, task), { task, epochs: 5 }, { seed: 3 });
      const fresh = trainingSet(3000, 2, task).X;
      const worstFresh = await agree(model, fresh);
      assert.ok(worstFresh <= 1e-12, `max |ours − onnxruntime| = ${worstFresh} on fresh rows`);
      const worstOdd = await agree(model, oddRows());
      assert.ok(worstOdd <= 1e-12, `max |ours − onnxruntime| = ${worstOdd} on rows with missing and unknown values`);
    });
  }

  test('binary: label is probability > 0.5, probabilities are [1 − p, p]; regression outputs one double column', async () => {
    const ort = await import('onnxruntime-node');
    const X = oddRows();
    const data = new Float64Array(X.rows * FEATURES.length);
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < FEATURES.length; j++) data[i * FEATURES.length + j] = X.columns[j]![i]!;
    const input = new ort.Tensor('float64', data, [X.rows, FEATURES.length]);

    const binary = await trainLinear(trainingSet(500, 4, 'binary'), { task: 'binary', epochs: 3 }, { seed: 1 });
    const session = await ort.InferenceSession.create(exportLinearToOnnx(binary.toArtifact().body as LinearBody, FEATURES));
    try {
      assert.deepEqual(session.outputNames, ['label', 'probabilities']);
      const out = await session.run({ input });
      const p = binary.predict(X);
      const probabilities = out.probabilities!.data as Float64Array;
      const labels = out.label!.data as BigInt64Array;
      assert.deepEqual(out.probabilities!.dims, [X.rows, 2]);
      assert.deepEqual(out.label!.dims, [X.rows]);
      for (let i = 0; i < X.rows; i++) {
        assert.ok(Math.abs(probabilities[2 * i]! - (1 - p[i]!)) <= 1e-12);
        assert.equal(labels[i], p[i]! > 0.5 ? 1n : 0n);
      }
    } finally {
      await session.release();
    }

    const regression = await trainLinear(trainingSet(500, 5, 'regression'), { task: 'regression', epochs: 3 }, { seed: 1 });
    const reg = await ort.InferenceSession.create(exportLinearToOnnx(regression.toArtifact().body as LinearBody, FEATURES));
    try {
      assert.deepEqual(reg.outputNames, ['variable']);
      const out = await reg.run({ input });
      assert.equal(out.variable!.type, 'float64');
      assert.deepEqual(out.variable!.dims, [X.rows, 1]);
    } finally {
      await reg.release();
    }
  });

  test('a body that does not fit the features is refused', async () => {
    const model = await trainLinear(trainingSet(200, 6, 'binary'), { task: 'binary', epochs: 1 }, { seed: 1 });
    const body = model.toArtifact().body as LinearBody;
    assert.throws(() => exportLinearToOnnx(body, FEATURES.slice(1)), /weights has 7 entries but the features give 4 input columns/);
    assert.throws(() => exportLinearToOnnx({ ...body, std: body.std.map(() => 0) }, FEATURES), /std must be > 0/);
    assert.throws(() => exportLinearToOnnx(body, []), /features must not be empty/);
  });
});
