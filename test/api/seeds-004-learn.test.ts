/** Seed 004: POST /api/v1/learn/trigger-retrain, per user (a tenant). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { schedule, TENANTS } from '../helpers/settings.ts';
import { analysisJob, openSeedApp, trainingJob, type SeedApp } from '../fixtures/seeds/seed-app.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const URL = '/api/v1/learn/trigger-retrain';
const AUTH = { authorization: 'Bearer test-token' };

describe('seed 004: trigger-retrain', () => {
  let s: SeedApp;
  before(async () => {
    s = await openSeedApp({ tenants: TENANTS, jobs: [trainingJob()], schedules: [schedule('globex.train', 'train', { tenantId: 'globex', cron: '30 2 * * *' })] });
  });
  after(() => s.close());

  test("retrains the user's model now, answering with the run and when it should finish", async () => {
    const res = await s.app.inject({ method: 'POST', url: URL, headers: AUTH, payload: { user_id: 'globex' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), ['estimated_completion', 'job_id', 'message', 'next_run_time', 'queued_at', 'run_id', 'runs', 'status', 'user_id']);
    assert.equal(body.status, 'triggered');
    assert.equal(body.user_id, 'globex');
    assert.equal(body.job_id, 'train');
    assert.match(body.queued_at, ISO);
    assert.equal(body.estimated_completion, null);
    assert.match(body.next_run_time, ISO);
    assert.equal(new Date(body.next_run_time).getUTCMinutes(), 30);

    // Asked again before it started: the run already waiting is the answer, and it says so.
    const again = await s.app.inject({ method: 'POST', url: URL, headers: AUTH, payload: { user_id: 'globex' } });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().status, 'queued');
    assert.equal((await s.finished(body.run_id)).status, 'succeeded');

    const next = await s.app.inject({ method: 'POST', url: URL, headers: AUTH, payload: { user_id: 'globex' } });
    assert.equal(next.statusCode, 200);
    assert.match(next.json().estimated_completion, ISO, 'with a history, an estimate');
    await s.finished(next.json().run_id);
  });

  test('bad inputs are 400 with the NS code and field; unknown users 404; nothing changes', async () => {
    const before = await s.counts();
    for (const [payload, field] of [
      [{ user_id: 'acme', force: true }, 'force'],
      [{ user_id: { id: 'acme' } }, 'user_id'],
      [undefined, 'user_id'],
    ] as const) {
      const res = await s.app.inject({ method: 'POST', url: URL, headers: AUTH, ...(payload ? { payload } : {}) });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'NS_VALIDATION');
      assert.equal(res.json().error.field, field);
    }
    const unknown = await s.app.inject({ method: 'POST', url: URL, headers: AUTH, payload: { user_id: 'test_user' } });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'NS_NOT_FOUND');
    assert.equal(unknown.json().error.field, 'user_id');
    assert.deepEqual(await s.counts(), before);
  });

  test('without a job of role training: 404 saying to declare one', async () => {
    const none = await openSeedApp({ tenants: [TENANTS[0]!], jobs: [analysisJob()] });
    try {
      const res = await none.app.inject({ method: 'POST', url: URL, headers: AUTH });
      assert.equal(res.statusCode, 404);
      assert.match(res.json().error.message, /role: training/);
    } finally {
      await none.close();
    }
  });
});
