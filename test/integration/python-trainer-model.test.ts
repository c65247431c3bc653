/**
 * The Python example trainer as a declared, scheduled model (examples/python-trainer/nightshift.yaml):
 * its nightly slot fires (fake clock), the run executes the real train.py in a child process, and
 * its ONNX model is scored, gated, registered and served like a built-in model's. The next run
 * continues from it (incremental: paths.previousModel is the champion's .onnx). Declaring a command
 * trainer over the API is refused.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { loadSettings } from '../../src/config/index.ts';
import { Engine } from '../../src/engine.ts';
import { bootstrapDeclared } from '../../src/models/bootstrap.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { waitForRunEnd } from '../helpers/api.ts';
import { tempDir } from '../helpers/settings.ts';
import { PYTHON } from '../fixtures/trainers/python.ts';
import { fleetCsv, fleetSamples } from '../fixtures/training/fleet.ts';

const CONFIG = path.join(import.meta.dirname, '..', '..', 'examples', 'python-trainer', 'nightshift.yaml');
const DAY = 86_400_000;

describe('the Python example as a declared, scheduled model', { timeout: 240_000 }, () => {
  let engine: Engine;
  let clock: ManualClock;

  before(async () => {
    // The demo data is generated to end at the clock's now: three days ago, so that three more days
    // can arrive for the incremental run.
    clock = new ManualClock(Date.now() - 3 * DAY);
    const settings = loadSettings({ configPath: CONFIG, env: { NIGHTSHIFT_DATA_DIR: tempDir('ns-py-model-'), NIGHTSHIFT_LOG_LEVEL: 'silent' } });
    const model = settings.models[0]!.definition;
    assert.equal(model.trainer.kind, 'command');
    // The interpreter the machine has (CI: Debian's), in place of the example's plain `python3`.
    const run = model.trainer.kind === 'command' ? { ...model.trainer.run, command: PYTHON } : null;
    const models = [{ ...settings.models[0]!, definition: { ...model, trainer: { ...model.trainer, run: run! } } }];
    engine = await Engine.open({ settings: { ...settings, models }, clock });
    await bootstrapDeclared({ ...engine, settings: engine.settings, logger: engine.logger }, new AbortController().signal);
    engine.workers.lifecycle.to('running');
  });
  after(async () => engine?.close(5_000));

  test('its nightly slot trains it, its ONNX model passes the gate, is registered and serves predictions', async () => {
    const [schedule] = await engine.schedules.list('acme', { jobId: 'train-failure_py' });
    assert.ok(schedule, 'the model got its implicit nightly schedule');
    // The next 2 AM slot fires.
    clock.set(schedule.next_slot_at! + 1_000);
    await engine.scheduler.tick();
    const [queued] = await engine.runs.list('acme', { jobId: 'train-failure_py' });
    assert.equal(queued?.trigger, 'slot');
    await engine.workers.claimAndStart();
    const done = await waitForRunEnd(engine, queued!.id, 120_000);
    assert.equal(done.status, 'succeeded', `${done.error_message ?? ''}\n${done.log_tail ?? ''}`);
    assert.equal(done.outcome, 'promoted', done.log_tail ?? '');

    const v1 = await engine.models.version('acme', 'failure_py', 1);
    assert.equal(v1.trainer, 'command');
    assert.equal(v1.gate.passed, true);
    assert.ok(v1.metrics.auc! > 0.6, `holdout AUC ${v1.metrics.auc}`);
    assert.equal(v1.runId, done.id);
    const stages = await engine.runs.stages('acme', done.id);
    assert.deepEqual(stages.map((s) => s.stage), ['decide', 'load', 'features', 'train', 'evaluate', 'gate', 'register', 'promote']);
    assert.ok((JSON.parse(stages[3]!.counts) as Record<string, number>)['trainer.rows']! > 0, 'train.py reported its rows (metrics.json)');

    const rows = [
      { entity: 'm-1', values: { temperature: 95, vibration: 9, pressure: 3, rpm: 1500, load: 0.9, voltage: 230, model: 'A' } },
      { entity: 'm-2', values: { temperature: 40, vibration: 1, pressure: null, rpm: 900, load: 0.2, voltage: 231, model: 'never-seen' } },
    ];
    const served = await engine.models.predict('acme', 'failure_py', rows);
    assert.equal(served.version.version, 1);
    assert.equal(served.predictions.length, 2);
    for (const p of served.predictions) assert.ok(p.probability! >= 0 && p.probability! <= 1, `a probability: ${p.probability}`);
  });

  test('the next run continues from the champion: train.py gets its .onnx back as the previous model', async () => {
    clock.set(Date.now());
    const csv = fleetCsv(fleetSamples({ endMs: Date.now(), days: 3, machines: 10, seed: 11 }));
    await engine.data.ingest({ tenantId: 'acme', datasetId: 'machines', format: 'csv', body: csv });
    const run = await engine.runs.trigger('train-failure_py', 'acme');
    await engine.workers.claimAndStart();
    const done = await waitForRunEnd(engine, run.id, 120_000);
    assert.equal(done.status, 'succeeded', `${done.error_message ?? ''}\n${done.log_tail ?? ''}`);
    const result = JSON.parse(done.result!) as { mode: string; trainer: string };
    assert.equal(result.mode, 'incremental');
    assert.match(done.log_tail ?? '', /warm/i, 'train.py says it continued from the previous model');
    const v2 = await engine.models.version('acme', 'failure_py', 2);
    assert.equal(v2.mode, 'incremental');
    assert.equal(v2.parentVersion, 1);
  });

  test('a command trainer cannot be declared over the API', async () => {
    const body = { task: 'binary', dataset: 'machines', features: { continuous: ['temperature'] }, trainer: { kind: 'command', command: 'sh', args: ['-c', 'id'] } };
    await assert.rejects(engine.models.define('acme', 'sneaky', body), (e: Error & { code?: string; field?: string }) => e.code === 'NS_VALIDATION' && e.field === 'trainer.kind');
    assert.equal((await engine.models.list(ALL_TENANTS)).some((m) => m.definition.name === 'sneaky'), false);
  });
});
