/**
 * POST …/models/:m/predict with bad or partial input (issue 14, item 8): every error names the field
 * as the caller wrote it (`values.temperature` for one row, `rows[1].values.temperature` in a batch),
 * never a schema branch the caller did not use; a number too large for a double is "not finite",
 * not "null"; an empty `values` and a number for a categorical column are refused; columns the model
 * filled in (missing ones, unseen categories) are reported with each prediction; a declaration's
 * `predict.require` makes a column mandatory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, body, openTestApi, type TestApi } from '../helpers/api.ts';
import { LAG_MODEL, serveChampion, SERVING_START } from '../fixtures/serving/champion.ts';

const PREDICT = '/api/tenants/acme/models/failure/predict';
const FULL = { model: 'M200', temperature: 80, vibration: 3, pressure: 120, rpm: 1800, load: 0.8, voltage: 230 };

interface Prediction {
  prediction: number;
  probability?: number;
  filled?: { missing: string[]; unseen: string[] };
}
interface PredictBody {
  version: number;
  predictions: Prediction[];
}

describe('predict: input errors name the real field; filled columns are reported', () => {
  let t: TestApi;
  const post = (payload: unknown) => t.app.inject({ method: 'POST', url: PREDICT, payload: payload as Record<string, unknown> });
  const raw = (text: string) => t.app.inject({ method: 'POST', url: PREDICT, headers: { 'content-type': 'application/json' }, payload: text });

  before(async () => {
    t = await openTestApi({ start: SERVING_START });
    await serveChampion(t.engine);
  });
  after(() => t.close());

  test('a complete row is served with nothing filled', async () => {
    const res = await post({ entity: 'm-001', values: FULL });
    assert.equal(res.statusCode, 200, res.body);
    const b = body<PredictBody>(res);
    assert.equal(b.predictions.length, 1);
    assert.equal(b.predictions[0]!.filled, undefined, 'nothing was filled in');
  });

  test('one row: errors name values.<column>, not rows[0]', async () => {
    const e = assertError(await post({ values: { ...FULL, temperature: 'hot' } }), { status: 400, code: 'NS_VALIDATION', field: 'values.temperature' });
    assert.match(e.message, /^values\.temperature: /);
    assertError(await post({ values: { ...FULL, tmp: 1 } }), { status: 400, code: 'NS_VALIDATION', field: 'values.tmp', message: /not a column of this model/ });
    assertError(await post({ values: FULL, ts: 'yesterday' }), { status: 400, code: 'NS_VALIDATION', field: 'ts' });
  });

  test('a batch: errors name rows[i]', async () => {
    const res = await post({ rows: [{ values: FULL }, { values: { ...FULL, temperature: 'hot' } }] });
    assertError(res, { status: 400, code: 'NS_VALIDATION', field: 'rows[1].values.temperature', message: /^rows\[1\]\.values\.temperature: / });
    assertError(await post({ rows: [{ values: FULL }, { entity: 'm-001' }] }), { status: 400, code: 'NS_VALIDATION', field: 'rows[1].values', message: /required/ });
  });

  test('"voltage": true names values.voltage and says what it got', async () => {
    const e = assertError(await post({ values: { ...FULL, voltage: true } }), { status: 400, code: 'NS_VALIDATION', field: 'values.voltage' });
    assert.match(e.message, /finite number or null, got true/);
    assert.doesNotMatch(e.message, /body\.rows/);
  });

  test('a body without values says values is missing', async () => {
    const e = assertError(await post({ entity: 'm-001' }), { status: 400, code: 'NS_VALIDATION', field: 'values', message: /required/ });
    assert.doesNotMatch(e.message, /body\.rows/);
    assertError(await post({ values: FULL, rows: [{ values: FULL }] }), { status: 400, code: 'NS_VALIDATION', field: 'rows', message: /either/ });
  });

  test('1e999 (Infinity once parsed) is "not finite", not "null"', async () => {
    const e = assertError(await raw('{"values": {"temperature": 1e999}}'), { status: 400, code: 'NS_VALIDATION', field: 'values.temperature' });
    assert.match(e.message, /not finite/);
    assert.doesNotMatch(e.message, /got null/);
  });

  test('an empty values is refused, naming the columns to send', async () => {
    assertError(await post({ values: {} }), { status: 400, code: 'NS_VALIDATION', field: 'values', message: /empty.*temperature/ });
  });

  test('a number for a categorical column is refused', async () => {
    assertError(await post({ values: { ...FULL, model: 200 } }), { status: 400, code: 'NS_VALIDATION', field: 'values.model', message: /category \(a string\)/ });
  });

  test('an unseen category and missing columns are filled in, and said so', async () => {
    const res = await post({ rows: [{ values: { ...FULL, model: 'Z999' } }, { values: { temperature: 80, vibration: 3, voltage: null } }, { values: FULL }] });
    assert.equal(res.statusCode, 200, res.body);
    const [unseen, missing, full] = body<PredictBody>(res).predictions;
    assert.deepEqual(unseen!.filled, { missing: [], unseen: ['model'] });
    assert.deepEqual(missing!.filled, { missing: ['pressure', 'rpm', 'load', 'voltage', 'model'], unseen: [] });
    assert.equal(full!.filled, undefined);
  });
});

describe('predict: a declaration may require columns', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: SERVING_START });
    await serveChampion(t.engine, { extra: { predict: { require: ['temperature', 'model'] } } });
  });
  after(() => t.close());

  test('a row without a required column is a 400 naming it; with them it is served', async () => {
    const post = (payload: unknown) => t.app.inject({ method: 'POST', url: PREDICT, payload: payload as Record<string, unknown> });
    assertError(await post({ values: { vibration: 3, model: 'M200' } }), { status: 400, code: 'NS_VALIDATION', field: 'values.temperature', message: /required by model "failure"/ });
    assertError(await post({ rows: [{ values: FULL }, { values: { ...FULL, model: null } }] }), { status: 400, code: 'NS_VALIDATION', field: 'rows[1].values.model', message: /required/ });
    const ok = await post({ values: { temperature: 80, model: 'M200' } });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(body<PredictBody>(ok).predictions[0]!.filled?.unseen, []);
  });

  test('the declaration shows predict.require; a column the features do not read is refused', async () => {
    const model = body<{ definition: { predict?: unknown } }>(await t.app.inject({ method: 'GET', url: '/api/tenants/acme/models/failure' }));
    assert.deepEqual(model.definition.predict, { require: ['temperature', 'model'] });
    const bad = await t.app.inject({ method: 'PUT', url: '/api/tenants/acme/models/other', payload: { ...LAG_MODEL, predict: { require: ['humidity'] } } });
    assertError(bad, { status: 400, code: 'NS_VALIDATION', field: 'predict.require[0]', message: /not a column the features read/ });
    const unknownKey = await t.app.inject({ method: 'PUT', url: '/api/tenants/acme/models/other', payload: { ...LAG_MODEL, predict: { requires: ['temperature'] } } });
    assertError(unknownKey, { status: 400, code: 'NS_VALIDATION', field: 'predict.requires' });
  });
});
