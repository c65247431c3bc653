/**
 * Predictors: raw rows through the artifact's feature spec give exactly what the model gave on the
 * training matrix (no train/serve skew, lags and rolling windows from history included); ONNX
 * artifacts are served by onnxruntime and agree with the GBDT they were exported from; malformed
 * artifacts and ONNX imports are refused naming the field.
 */
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { describe, test } from 'node:test';
import { parseFeatureSpec } from '../../src/data/features/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { isNsError } from '../../src/errors.ts';
import { isSyncPredictor, loadPredictor, onnxArtifact, predictRows, predictRowsSync, type Predictor } from '../../src/serving/index.ts';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { exportGbdtToOnnx } from '../../src/trainers/onnx/index.ts';
import { makeSet, nonlinear } from '../fixtures/gbdt/data.ts';
import { artifactBytesOf, END, fleet, maxAbsDiff, rowsAndHistory, trainedGbdt, trainedLinear } from './serving-fixtures.ts';

const invalid = (field: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(isNsError(error), String(error));
  assert.equal(error.code, 'NS_VALIDATION', error.message);
  assert.equal(error.field, field, error.message);
  assert.match(error.message, pattern);
  return true;
};

const valuesOf = (task: 'binary' | 'regression', preds: Array<{ probability?: number; score?: number }>) =>
  preds.map((p) => (task === 'binary' ? p.probability! : p.score!));

function syncOf(p: Predictor) {
  assert.ok(isSyncPredictor(p), `${p.kind} predictors are synchronous`);
  return p;
}

describe('no train/serve skew: predictRows = model.predict on the training matrix', () => {
  for (const task of ['binary', 'regression'] as const) {
    for (const kind of ['gbdt', 'linear'] as const) {
      test(`${kind} ${task}: rows with their history (lags, rolling windows, a categorical)`, async () => {
        const { samples, set } = fleet(task);
        const model = kind === 'gbdt' ? await trainedGbdt(task) : await trainedLinear(task);
        const p = syncOf(await loadPredictor(artifactBytesOf(model)));
        assert.equal(p.kind, kind);
        assert.equal(p.task, task);
        assert.deepEqual(p.features.map((f) => f.name), set.features.map((f) => f.name));
        const expected = model.predict(set.X);

        const { rows, history, index } = rowsAndHistory(samples, 6);
        const served = await predictRows(p, rows, history);
        assert.equal(served.length, rows.length);
        assert.ok(maxAbsDiff(valuesOf(task, served), index.map((i) => expected[i]!)) <= 1e-9, 'served = trained for every row');
        assert.deepEqual(predictRowsSync(p, rows, history), served, 'the sync path gives the same predictions');

        // One row at a time, with only the history the spec needs (48 h back), as a request would send it.
        for (const i of index.slice(0, 4)) {
          const row = samples[i]!;
          const recent = samples.filter((s) => s.entity === row.entity && s.ts < row.ts && s.ts >= row.ts - 49 * 3_600_000);
          const [one] = predictRowsSync(p, [row], recent);
          assert.ok(Math.abs(valuesOf(task, [one!])[0]! - expected[i]!) <= 1e-9, `row ${i} alone`);
        }

        // Sensitivity: without history the lag and rolling features are missing and predictions move.
        const bare = valuesOf(task, predictRowsSync(p, rows));
        assert.ok(maxAbsDiff(bare, index.map((i) => expected[i]!)) > 1e-6, 'history matters, so the parity above is not vacuous');
      });
    }
  }

  test('binary: prediction = probability ≥ threshold (params.threshold, default 0.5); regression: prediction = score', async () => {
    const model = await trainedGbdt('binary');
    const { samples } = fleet('binary');
    const { rows, history } = rowsAndHistory(samples, 30);
    const p = syncOf(await loadPredictor(artifactBytesOf(model)));
    assert.equal(p.threshold, 0.5);
    const preds = predictRowsSync(p, rows, history);
    for (const r of preds) assert.deepEqual(r, { prediction: r.probability! >= 0.5 ? 1 : 0, probability: r.probability });
    const probs = preds.map((r) => r.probability!).sort((a, b) => a - b);
    const threshold = probs[Math.floor(probs.length / 2)]!;
    const artifact = { ...model.toArtifact(), params: { ...model.params, threshold } };
    const custom = syncOf(await loadPredictor(Buffer.from(JSON.stringify(artifact))));
    assert.equal(custom.threshold, threshold);
    const positives = predictRowsSync(custom, rows, history).filter((r) => r.prediction === 1).length;
    assert.equal(positives, probs.filter((v) => v >= threshold).length);
    assert.notEqual(positives, preds.filter((r) => r.prediction === 1).length, 'the threshold changes decisions');

    const reg = syncOf(await loadPredictor(artifactBytesOf(await trainedGbdt('regression'))));
    for (const r of predictRowsSync(reg, rows.slice(0, 5))) assert.deepEqual(r, { prediction: r.score, score: r.score });
    assert.deepEqual(await predictRows(reg, []), []);
  });

  test('an artifact without featureSpec is served from raw columns named like its features', async () => {
    const train = nonlinear(2_000, 4, 5, 0.05);
    const { model } = await trainGbdt(train, { objective: 'binary_logloss', numTrees: 15, maxLeaves: 8 }, { seed: 2 });
    assert.equal(model.toArtifact().featureSpec, undefined);
    const p = syncOf(await loadPredictor(artifactBytesOf(model)));
    const rows: RawSample[] = Array.from({ length: 50 }, (_, i) => ({
      entity: `e${i}`,
      ts: END,
      values: Object.fromEntries(train.X.columns.map((c, f) => [`f${f}`, Number.isNaN(c[i]!) ? null : c[i]!])),
      label: null,
    }));
    const expected = model.predict({ rows: 50, columns: train.X.columns.map((c) => c.slice(0, 50)) });
    assert.ok(maxAbsDiff(valuesOf('binary', predictRowsSync(p, rows)), expected) === 0);
  });
});

describe('ONNX artifacts', () => {
  for (const task of ['binary', 'regression'] as const) {
    for (const inputType of ['float', 'double'] as const) {
      test(`${task}, ${inputType} input: served through onnxruntime within 1e-5 of the GBDT it was exported from`, async () => {
        const { samples, set } = fleet(task);
        const model = await trainedGbdt(task, 40);
        const artifact = await onnxArtifact(exportGbdtToOnnx(model.body, set.features.length, task, { inputType }), {
          task,
          featureSpec: set.spec,
        });
        assert.equal(artifact.kind, 'onnx');
        assert.equal('createdAt' in artifact, false);
        assert.deepEqual(artifact.features, set.features);
        const onnx = await loadPredictor(Buffer.from(JSON.stringify(artifact)));
        try {
          assert.equal(onnx.kind, 'onnx');
          assert.equal(onnx.sync, false);
          const gbdt = syncOf(await loadPredictor(artifactBytesOf(model)));
          const { rows, history } = rowsAndHistory(samples, 50);
          const theirs = await predictRows(onnx, rows, history);
          const ours = predictRowsSync(gbdt, rows, history);
          // Probabilities within 1e-5; regression values (hours, up to 720) within 1e-5 relative: onnxruntime's output is float32.
          const a = valuesOf(task, theirs);
          const b = valuesOf(task, ours);
          const diff = Math.max(...a.map((v, i) => Math.abs(v - b[i]!) / (task === 'binary' ? 1 : Math.max(1, Math.abs(b[i]!)))));
          assert.ok(diff <= 1e-5, `max ${task === 'binary' ? 'absolute' : 'relative'} |onnx − gbdt| = ${diff}`);
          if (task === 'binary') assert.deepEqual(theirs.map((r) => r.prediction), ours.map((r) => r.prediction));
        } finally {
          await onnx.close();
        }
        await onnx.close(); // idempotent
        await assert.rejects(predictRows(onnx, samples.slice(0, 1)), /closed/);
      });
    }
  }

  test('onnxArtifact refuses what could not be served, naming the field', async () => {
    const { set } = fleet('binary');
    const model = await trainedGbdt('binary', 5);
    const width = set.features.length;
    const classifier = exportGbdtToOnnx(model.body, width, 'binary');
    const regressor = exportGbdtToOnnx((await trainedGbdt('regression', 5)).body, width, 'regression');
    const spec = set.spec;

    await assert.rejects(onnxArtifact(new Uint8Array(0), { task: 'binary', featureSpec: spec }), invalid('onnx', /empty/));
    await assert.rejects(onnxArtifact(new Uint8Array([1, 2, 3, 4, 5]), { task: 'binary', featureSpec: spec }), invalid('onnx', /onnxruntime cannot serve this model/));
    await assert.rejects(onnxArtifact(classifier, { task: 'multiclass' as never, featureSpec: spec }), invalid('task', /"binary" or "regression"/));
    await assert.rejects(onnxArtifact(classifier, { task: 'binary', featureSpec: spec, outputName: 'nope' }), invalid('outputName', /no output 'nope'/));
    await assert.rejects(onnxArtifact(classifier, { task: 'regression', featureSpec: spec }), invalid('task', /2 columns but the task is regression/));
    await assert.rejects(onnxArtifact(regressor, { task: 'binary', featureSpec: spec }), invalid('task', /class-1 probabilities/));
    await assert.rejects(onnxArtifact(classifier, { task: 'binary', featureSpec: spec, threshold: 2 }), invalid('threshold', /probability/));
    const narrow = parseFeatureSpec({ continuous: ['temperature', 'vibration'] });
    await assert.rejects(
      onnxArtifact(classifier, { task: 'binary', featureSpec: narrow }),
      invalid('featureSpec', new RegExp(`produces 2 features \\(temperature, vibration\\) but the ONNX model's input "input" takes ${width}`)),
    );
    const unfitted = parseFeatureSpec({ continuous: ['temperature'], categorical: ['model'] });
    await assert.rejects(onnxArtifact(classifier, { task: 'binary', featureSpec: unfitted }), invalid('featureSpec.vocabulary', /no vocabulary/));
    await assert.rejects(onnxArtifact(classifier, { task: 'binary', featureSpec: { continuous: [] } }), invalid('featureSpec.continuous', /no feature/));

    // The explicit output and threshold are kept.
    const ok = await onnxArtifact(classifier, { task: 'binary', featureSpec: spec, outputName: 'probabilities', threshold: 0.3 });
    assert.deepEqual(ok.params, { threshold: 0.3 });
    assert.equal((ok.body as { outputName?: string }).outputName, 'probabilities');
    const p = await loadPredictor(Buffer.from(JSON.stringify(ok)));
    assert.equal(p.threshold, 0.3);
    await p.close();
  });
});

describe('loadPredictor refuses what is not a servable artifact', () => {
  test('foreign bytes, other formats and kinds, a bad body, a spec that does not match the features', async () => {
    const model = await trainedGbdt('binary', 5);
    const good = model.toArtifact();
    const load = (v: unknown) => loadPredictor(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

    await assert.rejects(loadPredictor(Buffer.alloc(0)), invalid('artifact', /is empty/));
    await assert.rejects(load('not json'), invalid('artifact', /not a nightshift-model artifact/));
    await assert.rejects(load('{"format": "nightshift-model", '), invalid('artifact', /not a nightshift-model artifact .*; its JSON does not parse/));
    await assert.rejects(loadPredictor(Buffer.from(exportGbdtToOnnx(model.body, good.features.length, 'binary'))), invalid('artifact', /looks like a raw \.onnx file: wrap it with onnxArtifact/));
    await assert.rejects(load({ ...good, format: 'pickle' }), invalid('artifact.format', /expected "nightshift-model", got "pickle"/));
    await assert.rejects(load({ ...good, version: 2 }), invalid('artifact.version', /version 2/));
    await assert.rejects(load({ ...good, kind: 'command' }), invalid('artifact.kind', /cannot be served in-process/));
    await assert.rejects(load({ ...good, kind: 'svm' }), invalid('artifact.kind', /"svm" cannot be served; servable kinds: gbdt, linear, onnx/));
    await assert.rejects(load({ ...good, task: 'ranking' }), invalid('artifact.task', /"ranking"/));
    await assert.rejects(load({ ...good, features: [] }), invalid('artifact.features', /non-empty/));
    await assert.rejects(load({ ...good, params: { threshold: 'high' } }), invalid('artifact.params.threshold', /probability/));
    await assert.rejects(load({ ...good, body: { ...(good.body as object), trees: 'x' } }), invalid('artifact.body.trees', /array/));

    const spec = parseFeatureSpec(good.featureSpec);
    const reordered = { ...spec, continuous: [...spec.continuous].reverse() };
    await assert.rejects(load({ ...good, featureSpec: reordered }), invalid('artifact.featureSpec', /produces "voltage" \(numeric\) as feature 0 but the model was trained with "temperature" \(numeric\)/));
    const vocabulary = { model: [...spec.vocabulary!.model!].reverse() };
    await assert.rejects(load({ ...good, featureSpec: { ...spec, vocabulary } }), invalid('artifact.featureSpec', /vocabularies differ/));

    await assert.rejects(load({ ...good, kind: 'onnx', body: { encoding: 'hex', onnx: 'ab' } }), invalid('artifact.body.encoding', /"base64"/));
    await assert.rejects(load({ ...good, kind: 'onnx', body: { encoding: 'base64', onnx: '!!!' } }), invalid('artifact.body.onnx', /base64/));
    await assert.rejects(load({ ...good, kind: 'onnx', body: { encoding: 'base64', onnx: 'AAAA' } }), invalid('artifact.body.onnx', /onnxruntime cannot serve/));

    // A matrix-trained model whose categorical feature comes first cannot be read from raw columns.
    const { model: mixed } = await trainGbdt(makeSet([[0, 1, 0, 1, 0, 1], [1, 2, 3, 4, 5, 6]], [0, 1, 0, 1, 0, 1]), { objective: 'binary_logloss', numTrees: 2, minSamplesLeaf: 1 }, { seed: 1 });
    const mixedArtifact = { ...mixed.toArtifact(), features: [{ name: 'c', type: 'categorical', categories: ['a', 'b'] }, { name: 'x', type: 'numeric' }] };
    await assert.rejects(load(mixedArtifact), invalid('artifact.featureSpec', /missing, and the model's features cannot be read as raw columns/));
  });
});
