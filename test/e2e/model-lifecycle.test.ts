/**
 * The model lifecycle over a real `nightshift serve` process and HTTP: ingest → train → v1
 * registered and promoted → predictions use it → v2 promoted → a candidate trained on corrupted
 * labels is rejected by the gate while v2 keeps serving → rollback to v1 → predictions switch at
 * once; the seed-003 endpoints train and roll back the same model.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/api.ts';
import { ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';
import { Rng } from '../../src/data/synthetic/index.ts';
import { FAILURE_MODEL, fleetCsv, fleetSamples } from '../fixtures/training/fleet.ts';

const CONFIG = {
  tenants: [{ id: 'acme', timezone: 'UTC' }],
  datasets: [
    { id: 'machines', schema: 'predictive-maintenance' },
    { id: 'machines_noisy', schema: 'predictive-maintenance' },
  ],
  models: [{ ...FAILURE_MODEL, mode: 'full' }],
};

const ROW = { entity: 'm-001', values: { model: 'M200', temperature: 88.5, vibration: 4.9, pressure: 121, rpm: 1790 } };

describe('model lifecycle over the real server', () => {
  let server: ServeProcess;
  let base: string;

  const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const trainAndWait = async (path: string, body: unknown = {}) => {
    const res = await call('POST', path, body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const runId = (res.body.id ?? res.body.runId) as string;
    const end = await server.waitForLog((l) => l.runId === runId && (l.msg === 'run succeeded' || l.msg === 'run ended without success'), 90_000);
    return { runId, end, run: (await call('GET', `/api/runs/${runId}`)).body };
  };
  const predictVersion = async () => {
    const res = await call('POST', '/api/tenants/acme/models/failure/predict', ROW);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.version as number;
  };

  before(async () => {
    const dir = tempDir('ns-e2e-models-');
    const config = join(dir, 'nightshift.json');
    writeFileSync(config, JSON.stringify(CONFIG));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = new ServeProcess({ NIGHTSHIFT_DATA_DIR: join(dir, 'data'), NIGHTSHIFT_PORT: String(port), NIGHTSHIFT_HOST: '127.0.0.1', ML_TRAINING_ENABLED: 'false', NIGHTSHIFT_AUTH: 'off' }, ['--config', config, 'serve']);
    await server.waitForLog((l) => l.msg === 'declared datasets ready');
  });
  after(async () => {
    await server.stop();
  });

  test('train, serve, reject a worse candidate, roll back', async () => {
    const end = Date.now();
    const clean = fleetSamples({ endMs: end });
    assert.equal((await call('POST', '/api/tenants/acme/datasets/machines/samples', fleetCsv(clean), 'text/csv')).body.accepted, clean.length);

    const none = await call('POST', '/api/tenants/acme/models/failure/predict', ROW);
    assert.equal(none.status, 404);
    assert.match(none.body.error.message, /has no champion yet/);

    // v1: trained, registered, promoted, and served.
    const first = await trainAndWait('/api/tenants/acme/models/failure/train');
    assert.equal(first.run.outcome, 'promoted', first.run.logTail);
    assert.equal(await predictVersion(), 1);
    const v1 = (await call('GET', '/api/tenants/acme/models/failure/versions/1')).body;
    assert.equal(v1.name, 'failure_acme_v1');
    assert.equal(v1.gate.passed, true);
    assert.equal(v1.runId, first.runId);
    assert.ok(v1.metrics.auc >= 0.7);

    // v2 through seed 003's endpoint: the same data again, not worse: promoted; predictions switch.
    // The seed's example names its training "manual_emergency_training"; a name the organization has no model of is 404 listing its models.
    const typo = await call('POST', '/api/training/train', { modelName: 'manual_emergency_training', description: 'Emergency retraining due to accuracy drop', dataRangeDays: 180 });
    assert.equal(typo.status, 404, JSON.stringify(typo.body));
    assert.match(typo.body.error.message, /its models: "failure"/);
    const second = await trainAndWait('/api/training/train', { modelName: 'failure', description: 'Emergency retraining due to accuracy drop', dataRangeDays: 180 });
    assert.equal(second.run.outcome, 'promoted', second.run.logTail);
    assert.equal(second.run.params.description, 'Emergency retraining due to accuracy drop');
    assert.equal(await predictVersion(), 2);

    // A candidate trained on corrupted labels: the model now reads a dataset whose older 80 % of
    // rows have random labels; the newest rows (the holdout) are clean, so both models are scored
    // on true labels.
    const cut = end - 0.2 * 20 * 86_400_000;
    const rng = new Rng(42);
    const noisy = fleetSamples({ endMs: end, map: (s) => (s.ts < cut ? { ...s, label: rng.next() < 0.4 ? 1 : 0 } : s) });
    assert.equal((await call('POST', '/api/tenants/acme/datasets/machines_noisy/samples', fleetCsv(noisy), 'text/csv')).status, 200);
    const redeclared = await call('PUT', '/api/tenants/acme/models/failure', { ...FAILURE_MODEL, name: undefined, dataset: 'machines_noisy', mode: 'full' });
    assert.equal(redeclared.status, 200, JSON.stringify(redeclared.body));
    const third = await trainAndWait('/api/tenants/acme/models/failure/train');
    assert.equal(third.run.outcome, 'rejected', third.run.logTail);
    const v3 = (await call('GET', '/api/tenants/acme/models/failure/versions/3')).body;
    assert.equal(v3.gate.passed, false);
    const failed = (v3.gate.reasons as Array<{ check: string; passed: boolean }>).filter((r) => !r.passed).map((r) => r.check);
    assert.ok(failed.includes('change'), `the change check against v2 failed too: ${JSON.stringify(v3.gate.reasons)}`);
    assert.equal(await predictVersion(), 2, 'the champion keeps serving');
    assert.equal((await call('GET', '/api/tenants/acme/models/failure')).body.champion.version, 2);

    // Rollback to v1: the next prediction uses it.
    const rolled = await call('POST', '/api/tenants/acme/models/failure/rollback', { targetVersion: 1, reason: 'v2 misbehaves in the field' });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    assert.equal(await predictVersion(), 1);
    const refused = await call('POST', '/api/tenants/acme/models/failure/promote', { version: 3 });
    assert.equal(refused.status, 409, 'a version that failed its gate is never champion');
    assert.match(refused.body.error.message, /gate/);

    // v2 back by hand, then seed 003's rollback by version name; the alias history has it all.
    assert.equal((await call('POST', '/api/tenants/acme/models/failure/promote', { version: 2, expectedCurrent: 1 })).status, 200);
    assert.equal(await predictVersion(), 2);
    const seedRollback = await call('POST', '/api/training/rollback', { targetVersion: 'failure_acme_v1' });
    assert.equal(seedRollback.body.versionName, 'failure_acme_v1', JSON.stringify(seedRollback.body));
    assert.equal(await predictVersion(), 1);
    const history = (await call('GET', '/api/tenants/acme/models/failure/champion/history')).body.history as Array<{ version: number; action: string; reason: string }>;
    assert.deepEqual(history.map((h) => [h.action, h.version]), [['rollback', 1], ['promote', 2], ['rollback', 1], ['promote', 2], ['promote', 1]]);
    assert.equal(history[2]!.reason, 'v2 misbehaves in the field');

    // Another tenant's model is not found, and bad rows name their field.
    assert.equal((await call('POST', '/api/tenants/globex/models/failure/predict', ROW)).status, 404);
    const nan = await call('POST', '/api/tenants/acme/models/failure/predict', { values: { temperature: 'NaN' } });
    assert.equal(nan.status, 400);
    assert.equal(nan.body.error.field, 'values.temperature', 'one row sent as the body: its fields are named as sent');
  });
});
