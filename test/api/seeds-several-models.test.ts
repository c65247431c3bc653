/**
 * The seeds' routes on a tenant with several models: every model is trained, shown, listed and
 * cancelled, never only the first; `modelName` narrows to one, and a name the tenant has no model
 * of is 404 listing its models. Seed 004's retrain while one is in flight is queued, and says so.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { body, openTestApi } from '../helpers/api.ts';
import { schedule, tempDir, TENANTS } from '../helpers/settings.ts';
import { gated, openSeedApp, post, trainingJob, type SeedApp } from '../fixtures/seeds/seed-app.ts';
import { fillFleet, FAILURE_MODEL } from '../fixtures/training/fleet.ts';

const { name: _name, ...MODEL_BODY } = FAILURE_MODEL;

describe('seed routes, a tenant with two training jobs', () => {
  let s: SeedApp;
  const flag = join(tempDir(), 'linger');
  before(async () => {
    const second = trainingJob(gated(flag, { accuracy: 0.8 }));
    s = await openSeedApp({
      tenants: TENANTS,
      jobs: [trainingJob(gated(flag)), { ...second, id: 'train-b' }],
      schedules: [schedule('acme.train', 'train', { cron: '0 2 * * *' }), schedule('acme.train-b', 'train-b', { cron: '0 4 * * *' })],
    });
  });
  after(() => s.close());

  test('seed 000: train now queues a run of each; the status covers both, model by model', async () => {
    const res = await post(s.app, '/api/predictions/train/schedule', { tenantId: 'acme' });
    assert.equal(res.statusCode, 200, res.body);
    const runs = res.json().runs as Array<{ job_id: string; run_id: string }>;
    assert.deepEqual(runs.map((r) => r.job_id), ['train', 'train-b']);
    assert.equal(res.json().run_id, runs[0]!.run_id);
    assert.match(res.json().message, /2 models: train, train-b/);
    for (const r of runs) assert.equal((await s.finished(r.run_id)).status, 'succeeded');

    const status = (await s.app.inject({ url: '/api/predictions/train/status?tenantId=acme' })).json();
    assert.deepEqual(
      status.models.map((m: { job_id: string; status: string; last_training_status: string }) => [m.job_id, m.status, m.last_training_status]),
      [['train', 'idle', 'success'], ['train-b', 'idle', 'success']],
    );
    // The two schedules fire at 02:00 and 04:00 UTC: between those hours the 04:00 slot comes first.
    const nextAt = (hour: number) => {
      const at = new Date();
      at.setUTCHours(hour, 0, 0, 0);
      if (at.getTime() <= Date.now()) at.setUTCDate(at.getUTCDate() + 1);
      return at.getTime();
    };
    assert.equal(new Date(status.next_run).getUTCHours(), new Date(Math.min(nextAt(2), nextAt(4))).getUTCHours(), 'the soonest next run of the two');
  });

  test('seed 003: the schedule routes want modelName (400 listing the models), a wrong one is 404, the right one is that model’s', async () => {
    const both = await s.app.inject({ url: '/api/training/schedule?organizationId=acme' });
    assert.equal(both.statusCode, 400, both.body);
    assert.equal(both.json().error.field, 'modelName');
    assert.match(both.json().error.message, /"train", "train-b"/);
    const wrong = await s.app.inject({ url: '/api/training/schedule?organizationId=acme&modelName=trian-b' });
    assert.equal(wrong.statusCode, 404, wrong.body);
    assert.match(wrong.json().error.message, /no model "trian-b"; its models: "train", "train-b"/);
    const b = await s.app.inject({ url: '/api/training/schedule?organizationId=acme&modelName=train-b' });
    assert.equal(b.statusCode, 200, b.body);
    assert.equal(b.json().schedule.pattern, '0 4 * * *');
    assert.equal(b.json().jobId, 'train-b');
  });

  test('seed 003: the history lists both models’ runs; modelName narrows it', async () => {
    const all = (await s.app.inject({ url: '/api/training/history?organizationId=acme' })).json();
    assert.deepEqual([...new Set(all.history.map((h: { jobId: string }) => h.jobId))].sort(), ['train', 'train-b']);
    const b = (await s.app.inject({ url: '/api/training/history?organizationId=acme&modelName=train-b' })).json();
    assert.deepEqual([...new Set(b.history.map((h: { jobId: string }) => h.jobId))], ['train-b']);
    assert.equal(b.pagination.total, 1);
  });

  test('seed 004: a retrain while both are training is queued behind them, and the answer says so; cancel stops both', async () => {
    writeFileSync(flag, '');
    try {
      const first = await post(s.app, '/api/v1/learn/trigger-retrain', { user_id: 'acme' });
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.json().status, 'triggered');
      const running = (first.json().runs as Array<{ run_id: string }>).map((r) => r.run_id);
      for (const id of running) await waitForStatus(s, id, 'running');

      const again = await post(s.app, '/api/v1/learn/trigger-retrain', { user_id: 'acme' });
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().status, 'queued');
      assert.match(again.json().message, new RegExp(`runs after run ${running[0]} \\(running\\)`));
      const queued = (again.json().runs as Array<{ run_id: string; status: string }>);
      assert.deepEqual(queued.map((r) => r.status), ['queued', 'queued']);
      assert.ok(queued.every((r) => !running.includes(r.run_id)), 'new runs, behind the running ones');
      const third = await post(s.app, '/api/v1/learn/trigger-retrain', { user_id: 'acme' });
      assert.deepEqual((third.json().runs as Array<{ run_id: string }>).map((r) => r.run_id), queued.map((r) => r.run_id), 'the runs already waiting are the answer');
      assert.match(third.json().message, /already has run .* waiting/);

      const cancel = await post(s.app, '/api/training/cancel', { organizationId: 'acme' });
      assert.equal(cancel.statusCode, 200, cancel.body);
      assert.deepEqual(cancel.json().cancelled.map((c: { runId: string }) => c.runId).sort(), [...running, ...queued.map((r) => r.run_id)].sort());
    } finally {
      rmSync(flag, { force: true });
    }
  });
});

/** Bounded by time, not by a count of polls: a process start on a loaded CI machine can take seconds. */
async function waitForStatus(s: SeedApp, runId: string, status: string, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if ((await s.engine.runs.get('acme', runId)).status === status) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`run ${runId} not ${status} after ${timeoutMs} ms`);
}

describe('seed 003 with two declared models (declared over the API)', () => {
  test('a misspelled modelName is 404 naming the models and queues nothing; without it both train; rollback wants modelName', async () => {
    const t = await openTestApi();
    try {
      await fillFleet(t.engine.db, 'acme', { machines: 2, days: 5, endMs: t.clock.now() });
      for (const name of ['failure', 'wear']) {
        assert.equal((await t.app.inject({ method: 'PUT', url: `/api/tenants/acme/models/${name}`, payload: MODEL_BODY })).statusCode, 201);
      }
      const runsBefore = (await t.engine.runs.list('acme')).length;
      const typo = await t.app.inject({ method: 'POST', url: '/api/training/train', payload: { organizationId: 'acme', modelName: 'faliure' } });
      assert.equal(typo.statusCode, 404, typo.body);
      assert.equal(body<{ error: { field: string } }>(typo).error.field, 'modelName');
      assert.match(typo.body, /no model \\"faliure\\"; its models: \\"failure\\", \\"wear\\"/);
      assert.equal((await t.engine.runs.list('acme')).length, runsBefore, 'nothing queued');

      const named = await t.app.inject({ method: 'POST', url: '/api/training/train', payload: { organizationId: 'acme', modelName: 'wear', description: 'drift' } });
      assert.equal(named.statusCode, 202, named.body);
      assert.deepEqual(body<{ runs: Array<{ model: string }> }>(named).runs.map((r) => r.model), ['wear']);
      await t.engine.runs.cancel('acme', body<{ runId: string }>(named).runId);

      const all = await t.app.inject({ method: 'POST', url: '/api/training/train', payload: { organizationId: 'acme' } });
      assert.equal(all.statusCode, 202, all.body);
      const b = body<{ model: string; runs: Array<{ model: string; runId: string; status: string }> }>(all);
      assert.deepEqual(b.runs.map((r) => [r.model, r.status]), [['failure', 'queued'], ['wear', 'queued']]);
      assert.equal(b.model, 'failure');
      const again = await t.app.inject({ method: 'POST', url: '/api/training/train', payload: { organizationId: 'acme' } });
      assert.equal(again.statusCode, 409, 'all or none while they are in flight');

      const rollback = await t.app.inject({ method: 'POST', url: '/api/training/rollback', payload: { organizationId: 'acme', targetVersion: 1 } });
      assert.equal(rollback.statusCode, 400, rollback.body);
      assert.equal(body<{ error: { field: string } }>(rollback).error.field, 'modelName');
    } finally {
      await t.close();
    }
  });
});
