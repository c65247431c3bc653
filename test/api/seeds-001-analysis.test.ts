/** Seed 001: POST /api/analysis/trigger and GET /api/analysis/schedule, shapes as the seed shows them. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { schedule, TENANTS } from '../helpers/settings.ts';
import { analysisJob, emitting, openSeedApp, post, trainingJob, type SeedApp } from '../fixtures/seeds/seed-app.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('seed 001: analysis trigger and schedule', () => {
  let s: SeedApp;
  before(async () => {
    // What ANALYSIS_SCHEDULE="0 3 * * *" gives the job through the config file.
    s = await openSeedApp({ tenants: [TENANTS[0]!], jobs: [analysisJob()], schedules: [schedule('acme.daily-analysis', 'daily-analysis', { cron: '0 3 * * *' })] });
  });
  after(() => s.close());

  test('POST /api/analysis/trigger answers as the seed, runs the pipeline, and the schedule lists it with its metrics', async () => {
    const res = await post(s.app, '/api/analysis/trigger');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['message', 'next_scheduled_run', 'run_id', 'status', 'success']);
    assert.equal(body.success, true);
    assert.equal(body.message, 'Analysis job triggered successfully');
    assert.equal(body.status, 'running_in_background');
    assert.match(body.next_scheduled_run, ISO);
    assert.equal(new Date(body.next_scheduled_run).getUTCHours(), 3, 'ANALYSIS_SCHEDULE 0 3 * * * → 03:00 UTC');

    const run = await s.finished(body.run_id);
    assert.equal(run.status, 'succeeded');

    const sched = await s.app.inject({ method: 'GET', url: '/api/analysis/schedule' });
    assert.equal(sched.statusCode, 200, sched.body);
    const view = sched.json();
    assert.deepEqual(Object.keys(view).sort(), ['is_running', 'next_run', 'recent_jobs', 'schedule']);
    assert.equal(view.schedule, '0 3 * * *');
    assert.equal(view.next_run, body.next_scheduled_run);
    assert.equal(view.is_running, false);
    assert.equal(view.recent_jobs.length, 1);
    const job = view.recent_jobs[0];
    assert.match(job.start_time, ISO);
    assert.equal(job.status, 'success');
    assert.equal(typeof job.duration_seconds, 'number');
    assert.equal(job.duration_seconds, run.duration_ms! / 1000);
    // The pipeline's step prefixes (fetch., detect., suggest.) are dropped: the seed's own names.
    assert.equal(job.events_count, 45230);
    assert.equal(job.patterns_detected, 28);
    assert.equal(job.suggestions_generated, 10);
    assert.equal(job.openai_cost_usd, 0.0025);
    assert.equal(job.run_id, body.run_id);
  });

  test('a second trigger while one is in flight is a 409 NS_CONFLICT naming the run', async () => {
    const first = await post(s.app, '/api/analysis/trigger');
    assert.equal(first.statusCode, 200);
    const second = await post(s.app, '/api/analysis/trigger');
    assert.equal(second.statusCode, 409, second.body);
    assert.equal(second.json().error.code, 'NS_CONFLICT');
    assert.equal(second.json().error.details.runId, first.json().run_id);
    await s.finished(first.json().run_id);
  });

  test('bad inputs are 400 with the NS code and the field, and change nothing', async () => {
    const before = await s.counts();
    for (const [req, field] of [
      [{ method: 'POST', url: '/api/analysis/trigger', payload: { tenantId: 'acme', force: true } }, 'force'],
      [{ method: 'POST', url: '/api/analysis/trigger', payload: { tenantId: { id: 'acme' } } }, 'tenantId'],
      [{ method: 'GET', url: '/api/analysis/schedule?verbose=1' }, 'verbose'],
    ] as const) {
      const res = await s.app.inject(req as never);
      assert.equal(res.statusCode, 400, `${JSON.stringify(req)}: ${res.body}`);
      assert.equal(res.json().error.code, 'NS_VALIDATION');
      assert.equal(res.json().error.field, field);
    }
    const unknown = await post(s.app, '/api/analysis/trigger', { tenantId: 'nobody' });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'NS_NOT_FOUND');
    assert.deepEqual(await s.counts(), before);
  });

  test('a failed run is "failed" in recent_jobs, newest first, with its error', async () => {
    const failing = await openSeedApp({ tenants: [TENANTS[0]!], jobs: [analysisJob({ steps: [{ name: 'fetch', ...emitting({ events_count: 3 }, 2) }] } as never)] });
    try {
      const res = await post(failing.app, '/api/analysis/trigger');
      await failing.finished(res.json().run_id);
      const [job] = (await failing.app.inject({ method: 'GET', url: '/api/analysis/schedule' })).json().recent_jobs;
      assert.equal(job.status, 'failed');
      assert.equal(job.events_count, 3);
      assert.equal(typeof job.error, 'string');
    } finally {
      await failing.close();
    }
  });

  test('every seed endpoint is in the OpenAPI document under the tag seed-compatible', async () => {
    const doc = (await s.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const seeded = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.tags?.includes('seed-compatible'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(seeded.sort(), [
      'DELETE /api/training/schedule',
      'GET /api/analysis/schedule',
      'GET /api/predictions/train/status',
      'GET /api/training/history',
      'GET /api/training/metrics',
      'GET /api/training/schedule',
      'POST /api/analysis/trigger',
      'POST /api/predictions/train/schedule',
      'POST /api/training/cancel',
      'POST /api/training/rollback',
      'POST /api/training/schedule',
      'POST /api/training/train',
      'POST /api/v1/learn/trigger-retrain',
    ]);
  });

  test('without a job of role analysis: 404 saying to declare one', async () => {
    const none = await openSeedApp({ tenants: [TENANTS[0]!], jobs: [trainingJob()] });
    try {
      for (const res of [await post(none.app, '/api/analysis/trigger'), await none.app.inject({ method: 'GET', url: '/api/analysis/schedule' })]) {
        assert.equal(res.statusCode, 404);
        assert.equal(res.json().error.code, 'NS_NOT_FOUND');
        assert.match(res.json().error.message, /role: analysis/);
      }
    } finally {
      await none.close();
    }
  });
});
