/** Seed 000: POST /api/predictions/train/schedule (now / queue) and GET /api/predictions/train/status. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { schedule, tempDir, TENANTS } from '../helpers/settings.ts';
import { gated, openSeedApp, post, trainingJob, type SeedApp } from '../fixtures/seeds/seed-app.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TRAIN = '/api/predictions/train/schedule';
const STATUS = '/api/predictions/train/status?tenantId=acme';
const STATUS_KEYS = [
  'current_run_id',
  'enabled',
  'estimated_completion',
  'is_running',
  'last_training_result',
  'last_training_status',
  'last_training_time',
  'models',
  'next_run',
  'schedule',
  'status',
  'training_mode',
].sort();

describe('seed 000: training trigger and status', () => {
  let s: SeedApp;
  const flag = join(tempDir(), 'linger');
  before(async () => {
    // Two tenants, so each request names one; ML_TRAINING_SCHEDULE's implicit schedule for acme.
    s = await openSeedApp({ tenants: TENANTS, jobs: [trainingJob(gated(flag))], schedules: [schedule('acme.train', 'train', { cron: '0 2 * * *' })] });
  });
  after(() => s.close());

  test('status before any training: idle, no last training, the next run from the schedule', async () => {
    const res = await s.app.inject({ method: 'GET', url: STATUS });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), STATUS_KEYS);
    assert.equal(body.status, 'idle');
    assert.equal(body.is_running, false);
    assert.equal(body.enabled, true);
    assert.equal(body.schedule, '0 2 * * *');
    assert.equal(body.training_mode, 'incremental');
    assert.equal(body.last_training_time, null);
    assert.equal(body.last_training_status, null);
    assert.equal(body.last_training_result, null);
    assert.match(body.next_run, ISO);
    assert.equal(new Date(body.next_run).getUTCHours(), 2);
    assert.equal(body.estimated_completion, null);
  });

  test('train now: the response, then status shows the last training time and result with its metrics', async () => {
    const res = await post(s.app, TRAIN, { tenantId: 'acme' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['estimated_completion', 'message', 'next_scheduled_run', 'run_id', 'runs', 'status', 'success', 'training_mode', 'when']);
    assert.deepEqual(body.runs, [{ job_id: 'train', model: 'train', run_id: body.run_id, status: 'queued', queued_at: body.runs[0].queued_at }]);
    assert.equal(body.success, true);
    assert.equal(body.status, 'queued');
    assert.equal(body.when, 'now');
    assert.equal(body.estimated_completion, null, 'no history yet, so no estimate');
    assert.match(body.next_scheduled_run, ISO);
    const run = await s.finished(body.run_id);

    const status = (await s.app.inject({ method: 'GET', url: STATUS })).json();
    assert.equal(status.status, 'idle');
    assert.equal(status.last_training_time, new Date(run.finished_at!).toISOString());
    assert.equal(status.last_training_status, 'success');
    assert.deepEqual(status.last_training_result, { run_id: body.run_id, status: 'success', duration_seconds: run.duration_ms! / 1000, metrics: { accuracy: 0.91, samples: 1200 }, error: null });
  });

  test('in flight: status running with an estimated completion; "now" is 409, "queue" queues behind it', async () => {
    writeFileSync(flag, '');
    try {
      const started = s.engine.events.waitFor('run:spawned');
      const res = await post(s.app, TRAIN, { tenantId: 'acme', when: 'now' });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.json().estimated_completion, ISO, 'one success in the history gives an estimate');
      const runId = res.json().run_id as string;
      assert.equal((await started).runId, runId);

      const status = (await s.app.inject({ method: 'GET', url: STATUS })).json();
      assert.equal(status.status, 'running');
      assert.equal(status.is_running, true);
      assert.equal(status.current_run_id, runId);
      assert.match(status.estimated_completion, ISO);

      const now = await post(s.app, TRAIN, { tenantId: 'acme', when: 'now' });
      assert.equal(now.statusCode, 409, now.body);
      assert.equal(now.json().error.code, 'NS_CONFLICT');
      assert.equal(now.json().error.details.runId, runId);

      const queued = await post(s.app, TRAIN, { tenantId: 'acme', when: 'queue' });
      assert.equal(queued.statusCode, 200, queued.body);
      assert.equal(queued.json().status, 'queued');
      assert.equal(queued.json().when, 'queue');
      assert.equal(queued.json().message, 'Training queued');

      rmSync(flag);
      await s.engine.runs.cancel('acme', runId);
      await s.finished(runId);
      await s.finished(queued.json().run_id);
      const after = (await s.app.inject({ method: 'GET', url: STATUS })).json();
      assert.equal(after.status, 'idle');
      assert.equal(after.last_training_status, 'success', 'the queued run ran after the cancelled one');
    } finally {
      rmSync(flag, { force: true });
    }
  });

  test('bad inputs are 400 with the NS code and the field, and change nothing', async () => {
    const before = await s.counts();
    for (const [req, field] of [
      [{ method: 'POST', url: TRAIN, payload: { tenantId: 'acme', when: 'later' } }, 'when'],
      [{ method: 'POST', url: TRAIN, payload: { tenantId: 'acme', mode: 'full' } }, 'mode'],
      [{ method: 'POST', url: TRAIN, payload: { tenantId: ['acme', 'globex'] } }, 'tenantId'],
      [{ method: 'POST', url: TRAIN }, 'tenantId'],
      [{ method: 'GET', url: `${STATUS}&detail=1` }, 'detail'],
    ] as const) {
      const res = await s.app.inject(req as never);
      assert.equal(res.statusCode, 400, `${JSON.stringify(req)}: ${res.body}`);
      assert.equal(res.json().error.code, 'NS_VALIDATION');
      assert.equal(res.json().error.field, field);
    }
    const unknown = await post(s.app, TRAIN, { tenantId: 'initech' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'NS_NOT_FOUND');
    assert.deepEqual(await s.counts(), before);
  });
});
