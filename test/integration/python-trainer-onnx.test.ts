/**
 * The Python example writing model.onnx: onnxruntime, through nightshift's OnnxModel, serves the
 * predictions train.py's own math makes (`train.py --predict`, which evaluates the model state in
 * Python), and an incremental run continues from a previous .onnx.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { readJobFile, runCommandTrainer, type CommandTrainerOptions, type CommandTrainerSpec } from '../../src/trainers/command/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { loadPredictor, onnxArtifact, predictRows } from '../../src/serving/index.ts';
import { OnnxModel } from '../../src/trainers/onnx/index.ts';
import type { Matrix, TrainingSet } from '../../src/trainers/types.ts';
import { PYTHON, TRAIN_PY } from '../fixtures/trainers/python.ts';
import { binarySet, regressionSet } from '../fixtures/trainers/synthetic-set.ts';

const onnxSpec: CommandTrainerSpec = { command: PYTHON, args: [TRAIN_PY], modelFile: 'model.onnx' };
const jsonSpec: CommandTrainerSpec = { ...onnxSpec, modelFile: 'model.json' };

const scratch = mkdtempSync(path.join(tmpdir(), 'ns-py-onnx-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const binary: CommandTrainerOptions = {
  tenantId: 'acme',
  modelName: 'failure-risk',
  task: 'binary',
  mode: 'full',
  params: { epochs: 80 },
  seed: 42,
  label: 'failed',
  workDir: scratch,
  killGraceMs: 2_000,
};
const regression: CommandTrainerOptions = { ...binary, task: 'regression', modelName: 'load', label: 'y', params: { epochs: 150 } };

/**
 * binarySet plus a second categorical, `shift` (no effect on the label), put first, and `site` moved
 * between the numerics: the graph's numeric block comes first, so this checks the weights'
 * reordering and several one-hot blocks. `site` is missing in every 7th row, `shift` in every 5th,
 * `pressure` in ~10%.
 */
function binaryTestSet(rows: number, seed: number): TrainingSet {
  const base = binarySet(rows, seed);
  const [temperature, pressure, site] = base.X.columns as [Float64Array, Float64Array, Float64Array];
  for (let i = 3; i < rows; i += 7) site[i] = Number.NaN;
  const shift = Float64Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? Number.NaN : Math.floor(i / 3) % 2));
  return {
    features: [
      { name: 'shift', type: 'categorical', categories: ['day', 'night'] },
      { name: 'temperature', type: 'numeric' },
      { name: 'site', type: 'categorical', categories: ['north', 'south', 'east'] },
      { name: 'pressure', type: 'numeric' },
    ],
    X: { rows, columns: [shift, temperature, site, pressure] },
    y: base.y,
  };
}

/** Rows to predict (shift, temperature, site, pressure): ordinary ones, then every missing/unseen case. */
function binaryPredictionRows(): Matrix {
  const base = binaryTestSet(30, 9).X;
  const extra: Array<[number, number, number, number]> = [
    [1, 0.5, 1, Number.NaN], // missing numeric
    [1, 0.5, Number.NaN, 5], // missing categorical → all-zero one-hot
    [Number.NaN, Number.NaN, Number.NaN, Number.NaN], // everything missing
    [0, 0.5, 3, 5], // unseen code (only 0..2 exist) → all-zero one-hot
    [0, 0.5, -1, 5], // negative code → all-zero one-hot
    [1e12, 0.5, 1e12, 5], // huge codes → all-zero one-hots
    [0, 0.5, -0.5, 5], // not an integer: int(-0.5) = 0 in train.py
    [0, 0.5, 2.7, 5], // int(2.7) = 2
    [0, 1e6, 0, 5], // z far beyond the ±35 clip
    [0, -1e6, 0, 5],
  ];
  const columns = base.columns.map((c, j) => Float64Array.from([...c, ...extra.map((r) => r[j] as number)]));
  return { rows: base.rows + extra.length, columns };
}

/** A CSV of the matrix (missing = empty field), the way train.py --predict reads it. */
function writeCsv(file: string, names: readonly string[], X: Matrix): string {
  const lines = [names.join(',')];
  for (let i = 0; i < X.rows; i++) lines.push(X.columns.map((c) => (Number.isNaN(c[i]) ? '' : String(c[i]))).join(','));
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** train.py's own predictions (repr() of Python floats, so they parse back exactly). */
async function pythonPredict(modelPath: string, csvPath: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(PYTHON, [TRAIN_PY, '--predict', modelPath, csvPath]);
  return stdout.trim().split('\n').map(Number);
}

async function withOnnx<T>(modelPath: string, use: (model: OnnxModel) => Promise<T>): Promise<T> {
  const model = await OnnxModel.load(modelPath, { sessionOptions: { intraOpNumThreads: 1 } });
  try {
    return await use(model);
  } finally {
    await model.dispose();
  }
}

/** Both sides compute in double; only the order of additions differs. */
function assertClose(actual: Float64Array, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: number of predictions`);
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    assert.ok(Number.isFinite(a) && Math.abs(a - e) <= 1e-9 * Math.max(1, Math.abs(e)), `${what}: row ${i}: onnxruntime ${a}, train.py ${e}`);
  });
}

describe('Python example trainer × ONNX', () => {
  it('binary with a categorical and missing values: onnxruntime serves train.py\'s predictions', async () => {
    const set = binaryTestSet(300, 1);
    const r = await runCommandTrainer(onnxSpec, set, binary);
    assert.equal((r.artifact.body as { format: string }).format, 'onnx', 'the artifact says onnx');

    const X = binaryPredictionRows();
    const csv = writeCsv(path.join(scratch, 'binary-rows.csv'), set.features.map((f) => f.name), X);
    const expected = await pythonPredict(r.modelPath, csv);
    assert.ok(expected.slice(-10, -2).every((p) => p > 0.01 && p < 0.99), 'the edge rows are not saturated, so a wrong one-hot shows');
    const served = await withOnnx(r.modelPath, async (model) => {
      assert.deepEqual(
        [model.inputName, model.inputType, model.featureCount, model.outputName, model.task],
        ['input', 'float64', 4, 'probability', 'binary'],
      );
      return model.predict(X);
    });
    assertClose(served, expected, 'binary');
    // train.py clips z to ±35, so P never reaches 0 (onnxruntime's Sigmoid is less exact out there:
    // 6.7e-16 for Python's 6.3e-16).
    const [clipped, python] = [served.at(-1)!, expected.at(-1)!];
    assert.ok(clipped > 0 && Math.abs(clipped - python) < 1e-15, `z clipped at -35 like train.py: ${clipped} vs ${python}`);

    // The state embedded in the .onnx is the model a model.json run makes from the same data and seed.
    const viaJson = await runCommandTrainer(jsonSpec, set, binary);
    assert.deepEqual(viaJson.metrics, r.metrics);
    assert.deepEqual(await pythonPredict(viaJson.modelPath, csv), expected);
  });

  it('nightshift\'s serving path takes the .onnx (onnxArtifact) and serves raw rows, unseen categories included', async () => {
    const set = binarySet(200, 4); // temperature, pressure, site: the order a feature spec produces (numeric first)
    const r = await runCommandTrainer(onnxSpec, set, binary);
    const sites = ['north', 'south', 'east'];
    const artifact = await onnxArtifact(new Uint8Array(readFileSync(r.modelPath)), {
      task: 'binary',
      featureSpec: { continuous: ['temperature', 'pressure'], categorical: ['site'], vocabulary: { site: sites } },
    });
    const raw: Array<[number | null, number | null, string | null]> = [
      [0.3, 4.1, 'south'], [-1.2, 6.0, 'north'], [1.5, null, 'east'], [0.3, 4.1, null], [0.3, 4.1, 'west'], [null, null, null],
    ];
    const rows: RawSample[] = raw.map(([temperature, pressure, site], i) => ({ entity: `e${i}`, ts: 0, values: { temperature, pressure, site }, label: null }));
    const predictor = await loadPredictor(Buffer.from(JSON.stringify(artifact)));
    const served = await predictRows(predictor, rows).finally(() => predictor.close());

    // train.py on the codes serving makes: the category's index, missing (and unseen 'west') empty.
    const code = (site: string | null) => (site === null || !sites.includes(site) ? Number.NaN : sites.indexOf(site));
    const X: Matrix = { rows: raw.length, columns: [0, 1, 2].map((j) => Float64Array.from(raw, (row) => (j === 2 ? code(row[2]) : (row[j] as number | null) ?? Number.NaN))) };
    const expected = await pythonPredict(r.modelPath, writeCsv(path.join(scratch, 'served-rows.csv'), ['temperature', 'pressure', 'site'], X));
    assertClose(Float64Array.from(served, (p) => p.probability!), expected, 'served');
    assert.deepEqual(served.map((p) => p.prediction), expected.map((p) => (p >= 0.5 ? 1 : 0)));
  });

  it('regression: onnxruntime serves train.py\'s predictions', async () => {
    const set = regressionSet(200);
    const r = await runCommandTrainer({ ...onnxSpec, format: 'ndjson' }, set, regression);
    assert.ok(r.metrics.train_r2! > 0.95, `r2 ${r.metrics.train_r2}`);

    const X = regressionSet(40, 7).X;
    (X.columns[0] as Float64Array)[0] = Number.NaN;
    (X.columns[1] as Float64Array)[1] = Number.NaN;
    const csv = writeCsv(path.join(scratch, 'regression-rows.csv'), ['a', 'b'], X);
    const expected = await pythonPredict(r.modelPath, csv);
    const served = await withOnnx(r.modelPath, async (model) => {
      assert.deepEqual([model.outputName, model.task, model.featureCount], ['value', 'regression', 2]);
      return model.predict(X);
    });
    assertClose(served, expected, 'regression');
  });

  it('incremental: continues from the previous .onnx (and from a previous model.json)', async () => {
    const first = await runCommandTrainer(onnxSpec, regressionSet(200), regression);
    const more = { ...regression, params: { epochs: 10 } };
    const next = await runCommandTrainer(onnxSpec, regressionSet(200, 3), { ...more, mode: 'incremental', previousModelPath: first.modelPath });
    assert.equal(next.metrics.warm_start, 1);
    const cold = await runCommandTrainer(onnxSpec, regressionSet(200, 3), more);
    assert.ok(next.metrics.train_r2! > 0.95 && cold.metrics.train_r2! < 0.9, `ten epochs: warm r2 ${next.metrics.train_r2}, cold r2 ${cold.metrics.train_r2}`);

    const X = regressionSet(20, 11).X;
    const expected = await pythonPredict(next.modelPath, writeCsv(path.join(scratch, 'incremental-rows.csv'), ['a', 'b'], X));
    assertClose(await withOnnx(next.modelPath, (m) => m.predict(X)), expected, 'incremental');

    const fromJson = await runCommandTrainer(jsonSpec, regressionSet(200), regression);
    const switched = await runCommandTrainer(onnxSpec, regressionSet(200, 3), { ...more, mode: 'incremental', previousModelPath: fromJson.modelPath });
    assert.equal(switched.metrics.warm_start, 1, 'a model.json of the previous version warm-starts a model.onnx run');
    assert.deepEqual(switched.metrics, next.metrics, 'same previous state, same continuation');
  });

  it('the shipped ONNX sample job runs standalone and its model.onnx loads', async () => {
    const dir = path.join(scratch, 'sample');
    cpSync(path.join(path.dirname(TRAIN_PY), 'sample'), dir, { recursive: true });
    const job = await readJobFile(path.join(dir, 'job-onnx.json'));
    assert.equal(path.basename(job.paths.model), 'model.onnx');
    await promisify(execFile)(PYTHON, [TRAIN_PY, path.join(dir, 'job-onnx.json')]);
    const expected = await pythonPredict(job.paths.model, path.join(dir, 'validation.csv'));
    assert.equal(expected.length, 40);
    const first = [2.021, 7.105, 1]; // validation.csv's first row
    const served = await withOnnx(job.paths.model, (m) => m.predict({ rows: 1, columns: first.map((v) => Float64Array.of(v)) }));
    assertClose(served, expected.slice(0, 1), 'sample');
  });

  it('a previous model that is neither JSON nor ONNX fails the run with a clear message', async () => {
    const garbage = path.join(scratch, 'garbage.onnx');
    writeFileSync(garbage, Buffer.from([0xff, 0xff, 0xff]));
    await assert.rejects(
      runCommandTrainer(onnxSpec, regressionSet(50), { ...regression, mode: 'incremental', previousModelPath: garbage }),
      { code: 'NS_JOB_FAILED', message: /garbage\.onnx is neither this trainer's JSON nor an ONNX model/ },
    );
  });
});
