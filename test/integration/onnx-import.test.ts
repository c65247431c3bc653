/**
 * ONNX import through the HTTP route: one of our GBDTs exported to ONNX is imported for a declared
 * model with data, evaluated on the model's holdout, gated, registered (trainer onnx, trigger
 * import), promoted only when asked, and served by /predict with the GBDT's own predictions. An
 * ONNX model of the wrong width is a 400 naming `onnx`; a candidate failing the gate is registered
 * with its verdict and not promoted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IMPORT_BODY_LIMIT_BYTES } from '../../src/api/routes/models.ts';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import { buildTrainingSet, transformForServing, type BuiltTrainingSet } from '../../src/data/features/index.ts';
import { Rng, syntheticSchema } from '../../src/data/synthetic/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { evaluate } from '../../src/trainers/evaluate.ts';
import { trainGbdt, type GbdtModel } from '../../src/trainers/gbdt/index.ts';
import { timeHoldout } from '../../src/trainers/holdout.ts';
import { exportGbdtToOnnx } from '../../src/trainers/onnx/index.ts';
import type { TrainingSet } from '../../src/trainers/types.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { assertError, body, openTestApi, type TestApi } from '../helpers/api.ts';
import { FAILURE_MODEL, fillFleet } from '../fixtures/training/fleet.ts';

const DEFINITION = parseModelDefinition({ ...FAILURE_MODEL, mode: 'full' });
const JOB: TrainJob = {
  id: 'train-failure', kind: 'train', model: 'failure', description: '', role: 'training', tenants: ['acme', 'globex'], after: [], env: {},
  timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 },
};
const MODELS: DeclaredModel[] = [{ tenants: ['acme', 'globex'], jobId: JOB.id, definition: DEFINITION }];
const URL = '/api/tenants/acme/models/failure';

interface ImportReply {
  version: { version: number; name: string; trainer: string; trigger: string; mode: string; dataWindow: unknown; samples: { train: number; holdout: number }; metrics: Record<string, number | null>; gate: { passed: boolean; reasons: Array<Record<string, unknown>> }; wasChampion: boolean };
  promoted: boolean;
  outcome: string;
  message: string;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function fit(set: TrainingSet, seed = 1): Promise<GbdtModel> {
  return (await trainGbdt(set, DEFINITION.trainer.params, { seed })).model;
}

/** Only the model's raw columns, as a caller of /predict sends them. */
function predictRow(s: RawSample) {
  const values: Record<string, number | string | null> = {};
  for (const c of [...DEFINITION.features.continuous, ...DEFINITION.features.categorical]) values[c] = (s.values[c] as number | string | null | undefined) ?? null;
  return { entity: s.entity, ts: s.ts, values };
}

describe('ONNX import over the API', { timeout: 180_000 }, () => {
  let t: TestApi;
  let samples: RawSample[];
  let built: BuiltTrainingSet;
  let gbdt: GbdtModel;
  let holdoutAuc: number;

  const versions = async () => body<{ versions: Array<{ version: number }> }>(await t.app.inject({ method: 'GET', url: `${URL}/versions` })).versions.length;
  const champion = async () => (body<{ champion: { version: number } | null }>(await t.app.inject({ method: 'GET', url: URL })).champion?.version ?? null);
  const importOnnx = (payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: `${URL}/import`, payload });

  before(async () => {
    t = await openTestApi({ models: MODELS, jobs: [JOB], clock: { now: () => Date.now() } });
    // The import is a run of the model's train job: workers execute it.
    t.engine.start({ scheduler: false });
    samples = await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
    // What the import computes: the declaration's spec fitted on the window, the newest 20 % held out.
    built = buildTrainingSet(samples, DEFINITION.features, syntheticSchema('acme'));
    const { train, valid } = timeHoldout(built, DEFINITION.holdoutFraction);
    gbdt = await fit(train);
    holdoutAuc = evaluate('binary', valid.y, gbdt.predict(valid.X)).auc;
  });
  after(async () => {
    await t?.close();
  });

  test('an exported GBDT is registered with its gate verdict, promoted only when asked, and served with the GBDT\'s predictions', async () => {
    // Double input: routing is exact. With float32 input a value just above a float32-rounded bin
    // threshold (82.89 vs fround(82.89)) can take the other branch, so the comparison is not ≤ 1e-5.
    const onnx = base64(exportGbdtToOnnx(gbdt.body, built.features.length, 'binary', { inputType: 'double' }));

    const plain = await importOnnx({ onnx });
    assert.equal(plain.statusCode, 201, plain.body);
    const first = body<ImportReply>(plain);
    assert.equal(first.version.version, 1);
    assert.equal(first.version.name, 'failure_acme_v1');
    assert.equal(first.version.trainer, 'onnx-import');
    assert.equal(first.version.trigger, 'import');
    assert.equal(first.version.mode, 'full');
    assert.equal(first.version.dataWindow, null, 'not trained here');
    assert.equal(first.version.samples.train, 0);
    assert.equal(first.version.samples.holdout, timeHoldout(built, DEFINITION.holdoutFraction).valid.X.rows);
    assert.equal(first.version.gate.passed, true, first.message);
    assert.deepEqual(first.version.gate.reasons.map((r) => [r.check, r.metric, r.bound]), [['threshold', 'auc', 0.7]], 'no champion: only the thresholds');
    assert.ok(Math.abs(first.version.metrics.auc! - holdoutAuc) < 1e-3, `AUC on the holdout ${first.version.metrics.auc} vs the GBDT's ${holdoutAuc}`);
    assert.equal(first.promoted, false);
    assert.equal(first.outcome, 'registered');
    assert.equal(await champion(), null, 'not promoted without promote: true');

    const asked = await importOnnx({ onnx, promote: true });
    assert.equal(asked.statusCode, 201, asked.body);
    const second = body<ImportReply>(asked);
    assert.equal(second.version.version, 2);
    assert.equal(second.promoted, true, second.message);
    assert.equal(second.outcome, 'promoted');
    assert.equal(second.version.wasChampion, true);
    assert.equal(await champion(), 2);
    const history = body<{ history: Array<{ version: number; actor: string; reason: string }> }>(await t.app.inject({ method: 'GET', url: `${URL}/champion/history` })).history;
    assert.equal(history[0]?.version, 2);
    assert.equal(history[0]?.actor, 'local', 'the caller: unauthenticated on loopback');
    assert.match(history[0]?.reason ?? '', /imported ONNX model; gate passed/);

    // Served from raw rows through the stored (fitted) spec: the GBDT's probabilities within 1e-5.
    const rows = samples.slice(-200);
    const res = await t.app.inject({ method: 'POST', url: `${URL}/predict`, payload: { rows: rows.map(predictRow) } });
    assert.equal(res.statusCode, 200, res.body);
    const served = body<{ version: number; predictions: Array<{ probability: number }> }>(res);
    assert.equal(served.version, 2);
    const expected = gbdt.predict(transformForServing(built.spec, rows).X);
    let worst = 0;
    served.predictions.forEach((p, i) => (worst = Math.max(worst, Math.abs(p.probability - expected[i]!))));
    assert.equal(served.predictions.length, rows.length);
    assert.ok(worst <= 1e-5, `max |served − GBDT| = ${worst}`);
  });

  test('an ONNX model of the wrong width is a 400 naming onnx, and nothing is registered', async () => {
    const narrow: TrainingSet = { features: built.features.slice(0, 3), X: { rows: built.X.rows, columns: built.X.columns.slice(0, 3) }, y: built.y };
    const model = await fit(narrow);
    const before = await versions();
    const res = await importOnnx({ onnx: base64(exportGbdtToOnnx(model.body, 3, 'binary')), promote: true });
    assertError(res, { status: 400, code: 'NS_VALIDATION', field: 'onnx', message: /does not fit model "failure".*produces 5 features.*takes 3/ });
    assertError(await importOnnx({ onnx: 'not base64!' }), { status: 400, code: 'NS_VALIDATION', field: 'onnx', message: /base64/ });
    assert.equal(await versions(), before);
  });

  test('a candidate failing the gate is registered with its verdict and not promoted', async () => {
    const championBefore = await champion();
    assert.ok(championBefore !== null);
    // Trained on random labels (a seeded generator, so no pattern of row order a model could pick
    // up): no better than chance on the real holdout labels.
    const rng = new Rng(42);
    const noisy: TrainingSet = { ...built, y: Float64Array.from(built.y, () => (rng.next() < 0.3 ? 1 : 0)) };
    const model = await fit(noisy);
    const res = await importOnnx({ onnx: base64(exportGbdtToOnnx(model.body, built.features.length, 'binary')), promote: true });
    assert.equal(res.statusCode, 201, res.body);
    const r = body<ImportReply>(res);
    assert.equal(r.promoted, false);
    assert.equal(r.outcome, 'rejected');
    assert.equal(r.version.gate.passed, false);
    assert.match(r.message, /rejected by the gate: auc .* < minimum 0\.7/);
    const change = r.version.gate.reasons.find((c) => c.check === 'change');
    assert.equal(change?.championVersion, championBefore, 'compared with the champion on the same holdout');
    assert.equal(await champion(), championBefore, 'the champion keeps serving');
  });

  test('the route takes bodies above the API-wide 1 MiB limit, up to its own', async () => {
    const big = base64(new Uint8Array(3 * 1_048_576).fill(7));
    assertError(await importOnnx({ onnx: big }), { status: 400, code: 'NS_VALIDATION', field: 'onnx', message: /onnxruntime cannot serve this model/ });
    const tooBig = await t.app.inject({ method: 'POST', url: `${URL}/import`, headers: { 'content-type': 'application/json' }, payload: `{"onnx":"${'A'.repeat(IMPORT_BODY_LIMIT_BYTES)}"}` });
    assertError(tooBig, { status: 413, code: 'NS_PAYLOAD_TOO_LARGE', field: 'body' });
  });

  test('a model without labeled rows in its window cannot evaluate an import: 409, nothing registered', async () => {
    await fillFleet(t.engine.db, 'globex', { endMs: Date.now() - 400 * 86_400_000, machines: 2, days: 2 });
    const onnx = base64(exportGbdtToOnnx(gbdt.body, built.features.length, 'binary'));
    assertError(await t.app.inject({ method: 'POST', url: '/api/tenants/globex/models/failure/import', payload: { onnx, promote: true } }), {
      status: 409,
      code: 'NS_CONFLICT',
      field: 'dataset',
      message: /has 0 labeled row\(s\) in its window \(last 180 days of dataset "machines"\); at least 20 are needed/,
    });
    assert.equal(body<{ versions: unknown[] }>(await t.app.inject({ url: '/api/tenants/globex/models/failure/versions' })).versions.length, 0);
  });

  test('an undeclared model is a 404', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/tenants/acme/models/nope/import', payload: { onnx: 'AAAA' } });
    assertError(res, { status: 404, code: 'NS_NOT_FOUND', field: 'model', message: /no model "nope"/ });
  });
});
