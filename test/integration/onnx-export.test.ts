/**
 * ONNX export over the HTTP routes, of versions trained by the real pipeline: a GBDT and a linear
 * model are trained (POST …/train, the training child process), downloaded from
 * GET …/versions/:v/onnx, loaded in onnxruntime-node, and fed the feature matrix a user builds
 * from GET …/versions/:v/onnx/input and raw rows (missing values and an unseen category
 * included); their predictions are those POST …/predict serves for the same raw rows (linear: to
 * 1e-9; GBDT: up to its float32 outputs, its routing being exact with double input). An imported
 * ONNX model is given back byte for byte; a command trainer's model is refused with a 400 naming
 * the version; another tenant's model and a missing version are the same 404.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import type { RawSample } from '../../src/data/types.ts';
import { OnnxModel } from '../../src/trainers/onnx/index.ts';
import type { Matrix } from '../../src/trainers/types.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { assertError, body, openTestApi, waitForRunEnd, type TestApi } from '../helpers/api.ts';
import { FAILURE_MODEL, fillFleet } from '../fixtures/training/fleet.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';

const TENANTS = ['acme', 'globex'];
const declare = (name: string, extra: Record<string, unknown>): { model: DeclaredModel; job: TrainJob } => {
  const job: TrainJob = {
    id: `train-${name}`, kind: 'train', model: name, description: '', role: 'training', tenants: TENANTS, after: [], env: {},
    timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 },
  };
  return { model: { tenants: TENANTS, jobId: job.id, definition: parseModelDefinition({ ...FAILURE_MODEL, name, mode: 'full', ...extra }) }, job };
};
const GBDT = declare('failure', {});
const LINEAR = declare('failure_lin', { trainer: { kind: 'linear', params: { epochs: 5 } }, gate: { thresholds: { auc: 0.5 } } });
const COLUMNS = [...FAILURE_MODEL.features.continuous, ...FAILURE_MODEL.features.categorical];

interface OnnxDescription {
  versionName: string;
  kind: string;
  task: string;
  input: { name: string; type: string; shape: Array<number | string>; holds: string; missing: string };
  features: Array<{ column: number; name: string; type: string; categories?: string[] }>;
  outputs: Array<{ name: string; type: string; shape: Array<number | string> }>;
  output: string;
}

/** What a caller of /predict sends: the raw columns (null when missing). */
const rawRow = (s: RawSample) => ({ entity: s.entity, ts: s.ts, values: Object.fromEntries(COLUMNS.map((c) => [c, (s.values[c] as number | string | null | undefined) ?? null])) });

/** What a user of the .onnx file builds from the description: a column per feature, codes for categories, NaN for missing. */
function featureMatrix(d: OnnxDescription, rows: ReadonlyArray<ReturnType<typeof rawRow>>): Matrix {
  const columns = d.features.map((f) =>
    Float64Array.from(rows, (r) => {
      const v = r.values[f.name];
      if (v === null || v === undefined) return Number.NaN;
      if (f.type === 'numeric') return Number(v);
      const code = f.categories!.indexOf(String(v));
      return code === -1 ? Number.NaN : code;
    }),
  );
  return { rows: rows.length, columns };
}

describe('ONNX export over the API', { timeout: 240_000 }, () => {
  let t: TestApi;
  let rows: Array<ReturnType<typeof rawRow>>;
  const url = (model: string, version: number | string, tenant = 'acme') => `/api/tenants/${tenant}/models/${model}/versions/${version}/onnx`;

  async function train(model: string): Promise<void> {
    const res = await t.app.inject({ method: 'POST', url: `/api/tenants/acme/models/${model}/train`, payload: {} });
    assert.equal(res.statusCode, 202, res.body);
    const run = await waitForRunEnd(t.engine, body<{ id: string }>(res).id, 120_000);
    assert.equal(run.status, 'succeeded', run.log_tail ?? run.error_message ?? '');
    assert.equal(run.outcome, 'promoted', `${model}: ${run.result}`);
  }

  /** Downloads the version, checks the response, and returns its predictions next to the served ones. */
  async function compare(model: string, version: number) {
    const res = await t.app.inject({ url: url(model, version) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(res.headers['content-disposition'], `attachment; filename="${model}_acme_v${version}.onnx"`);
    assert.equal(res.headers['x-nightshift-input-type'], 'float64');
    assert.equal(res.headers['x-nightshift-feature-count'], String(COLUMNS.length));
    assert.equal(res.headers.link, `<${url(model, version)}/input>; rel="describedby"`);
    const described = await t.app.inject({ url: `${url(model, version)}/input` });
    assert.equal(described.statusCode, 200, described.body);
    const d = body<OnnxDescription>(described);

    const onnx = await OnnxModel.load(new Uint8Array(res.rawPayload));
    try {
      assert.equal(onnx.inputType, 'float64');
      assert.equal(onnx.inputName, d.input.name);
      assert.equal(onnx.outputName, d.output);
      const exported = await onnx.predict(featureMatrix(d, rows));
      const predicted = await t.app.inject({ method: 'POST', url: `/api/tenants/acme/models/${model}/predict`, payload: { rows } });
      assert.equal(predicted.statusCode, 200, predicted.body);
      const served = body<{ version: number; predictions: Array<{ probability: number }> }>(predicted);
      assert.equal(served.version, version);
      return { d, exported, served: served.predictions.map((p) => p.probability) };
    } finally {
      await onnx.dispose();
    }
  }

  before(async () => {
    t = await openTestApi({ models: [GBDT.model, LINEAR.model], jobs: [GBDT.job, LINEAR.job], clock: { now: () => Date.now() } });
    t.engine.start({ scheduler: false });
    const samples = await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
    // The newest rows, plus rows with missing values and a category the model never saw.
    rows = samples.slice(-300).map(rawRow);
    const first = rows[0]!;
    rows.push(
      { ...first, values: { ...first.values, temperature: null } },
      { ...first, values: { ...first.values, model: 'never-seen' } },
      { ...first, values: Object.fromEntries(COLUMNS.map((c) => [c, null])) },
    );
    await train('failure');
    await train('failure_lin');
  });
  after(async () => {
    await t?.close();
  });

  test('a GBDT version: double input, its probabilities those served up to its float32 outputs', async () => {
    const { d, exported, served } = await compare('failure', 1);
    assert.deepEqual([d.versionName, d.kind, d.task, d.input.type, d.input.missing, d.output], ['failure_acme_v1', 'gbdt', 'binary', 'float64', 'NaN', 'probabilities']);
    assert.deepEqual(d.input.shape, ['N', COLUMNS.length]);
    assert.deepEqual(d.features.map((f) => [f.column, f.name, f.type]), COLUMNS.map((c, i) => [i, c, i < 4 ? 'numeric' : 'categorical']));
    assert.ok(d.features[4]!.categories!.length >= 2, 'the categorical feature lists its categories');
    assert.deepEqual(d.outputs, [{ name: 'label', type: 'int64', shape: ['N'] }, { name: 'probabilities', type: 'float32', shape: ['N', 2] }]);
    // TreeEnsembleClassifier routes and sums in double here, but its outputs are float32 and
    // onnxruntime computes the logistic in float32 (as 1 − σ(|raw|) for a negative raw score), so
    // the error is absolute, a few float32 ulps of 1 (measured: 8e-8). A row routed differently
    // would be off by a whole leaf's contribution instead.
    let worst = 0;
    exported.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - served[i]!))));
    assert.equal(exported.length, rows.length);
    assert.ok(worst <= 2 ** -22, `max |onnx − served| = ${worst}`);
  });

  test('a linear version: double precision throughout, its probabilities those served to 1e-9', async () => {
    const { d, exported, served } = await compare('failure_lin', 1);
    assert.deepEqual([d.versionName, d.kind, d.input.type, d.output], ['failure_lin_acme_v1', 'linear', 'float64', 'probabilities']);
    assert.deepEqual(d.outputs, [{ name: 'label', type: 'int64', shape: ['N'] }, { name: 'probabilities', type: 'float64', shape: ['N', 2] }]);
    let worst = 0;
    exported.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - served[i]!))));
    assert.ok(worst <= 1e-9, `max |onnx − served| = ${worst}`);
  });

  test('an imported ONNX version is given back as imported', async () => {
    const original = (await t.app.inject({ url: url('failure', 1) })).rawPayload;
    const imported = await t.app.inject({ method: 'POST', url: '/api/tenants/acme/models/failure/import', payload: { onnx: original.toString('base64') } });
    assert.equal(imported.statusCode, 201, imported.body);
    const version = body<{ version: { version: number } }>(imported).version.version;
    const res = await t.app.inject({ url: url('failure', version) });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(res.rawPayload.equals(original), 'the stored bytes');
    const d = body<OnnxDescription>(await t.app.inject({ url: `${url('failure', version)}/input` }));
    assert.deepEqual([d.kind, d.input.type, d.features.length], ['onnx', 'float64', COLUMNS.length]);
  });

  test("a command trainer's own model has no export: 400 naming the version", async () => {
    const artifact = { format: 'nightshift-model', version: 1, kind: 'command', task: 'binary', features: COLUMNS.map((name) => ({ name, type: 'numeric' })), params: {}, body: { file: 'model.bin' }, createdAt: new Date().toISOString() };
    const v = await t.engine.models.registry.registerVersion(newVersion('acme', 'failure', { trainer: 'command' }), Buffer.from(JSON.stringify(artifact)));
    for (const path of [url('failure', v.version), `${url('failure', v.version)}/input`]) {
      assertError(await t.app.inject({ url: path }), { status: 400, code: 'NS_VALIDATION', field: 'version', message: new RegExp(`version ${v.version} of model "failure" \\(failure_acme_v${v.version}\\) is a command model, which has no ONNX export`) });
    }
  });

  test("another tenant's model or version is not found, exactly as a missing one", async () => {
    const missing = assertError(await t.app.inject({ url: url('failure', 99) }), { status: 404, code: 'NS_NOT_FOUND', field: 'version', message: /model "failure" of tenant "acme" has no version 99/ });
    // globex declares the model too, but version 1 is acme's.
    const foreign = assertError(await t.app.inject({ url: url('failure', 1, 'globex') }), { status: 404, code: 'NS_NOT_FOUND', field: 'version', message: /model "failure" of tenant "globex" has no version 1/ });
    assert.deepEqual(Object.keys(foreign).sort(), Object.keys(missing).sort());
    assertError(await t.app.inject({ url: `${url('failure', 1, 'globex')}/input` }), { status: 404, code: 'NS_NOT_FOUND', field: 'version' });
    assertError(await t.app.inject({ url: url('nope', 1) }), { status: 404, code: 'NS_NOT_FOUND', field: 'model', message: /no model "nope"/ });
    assertError(await t.app.inject({ url: url('failure', 1, 'initech') }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await t.app.inject({ url: url('failure', 0) }), { status: 400, code: 'NS_VALIDATION', field: 'version' });
  });

  test('OpenAPI describes both routes, the download as application/octet-stream', async () => {
    const doc = body<{ paths: Record<string, Record<string, { tags: string[]; summary: string; responses: Record<string, { content?: Record<string, unknown> }> }>> }>(await t.app.inject({ url: '/openapi.json' }));
    const download = doc.paths['/api/tenants/{tenantId}/models/{model}/versions/{version}/onnx']?.get;
    assert.ok(download, 'the download is documented');
    assert.deepEqual(download.tags, ['models']);
    assert.match(download.summary, /feature matrix, not raw rows/);
    assert.ok(download.responses['200']?.content?.['application/octet-stream'], JSON.stringify(download.responses['200']));
    assert.deepEqual(Object.keys(download.responses).sort(), ['200', '400', '404', '503']);
    assert.ok(doc.paths['/api/tenants/{tenantId}/models/{model}/versions/{version}/onnx/input']?.get, 'the description is documented');
  });
});
