/**
 * GET /api/runs/:id (slot, attempts, step metrics, log tail), POST /api/runs/:id/cancel and
 * POST /api/jobs/:id/trigger (run id, status, ETA, next scheduled run; 409 single-flight unless
 * mode "queue") over app.inject(), with refused inputs that leave the store unchanged.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/ids.ts';
import { inTransaction } from '../../src/store/db.ts';
import { insertRuns } from '../../src/store/runs.ts';
import { assertError, body, openTestApi, refused, seededRun, waitForRunEnd, waitForRunSpawned, type TestApi } from '../helpers/api.ts';
import { MINUTE } from '../helpers/engine.ts';
import { commandJob, pipelineJob, schedule, tempDir } from '../helpers/settings.ts';

const node = process.execPath;
const FLAKY = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'flaky.mjs');
const WAIT_FOR_TERM = join(import.meta.dirname, '..', 'fixtures', 'commands', 'wait-for-term.mjs');

interface RunDetail {
  id: string;
  tenantId: string;
  jobId: string;
  scheduleId: string | null;
  slotAt: string | null;
  trigger: string;
  status: string;
  attempt: number;
  maxAttempts: number;
  maxRetries: number;
  runAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  lateMs: number | null;
  eta: string | null;
  exitCode: number | null;
  error: { code: string; message: string | null } | null;
  metrics: Record<string, number>;
  steps: Array<{ name: string; status: string; exitCode: number | null; metrics: Record<string, number> }>;
  logTail: string;
  params: Record<string, unknown> | null;
  attempts: Array<{ attempt: number; status: string; worker: string; startedAt: string; finishedAt: string | null; exitCode: number | null; error: string | null }>;
}
interface TriggerBody {
  runId: string;
  status: string;
  eta: string | null;
  nextScheduledRun: string | null;
  run: RunDetail;
}



const trigger = (t: TestApi, jobId: string, payload: Record<string, unknown>) => t.app.inject({ method: 'POST', url: `/api/jobs/${jobId}/trigger`, payload });
const getRun = async (t: TestApi, id: string) => {
  const res = await t.app.inject({ url: `/api/runs/${id}` });
  assert.equal(res.statusCode, 200, res.body);
  return body<RunDetail>(res);
};

describe('GET /api/runs/:id', () => {
  test('a slot run of a pipeline: slot, schedule, lateness, attempts, per-step metrics, log tail', async () => {
    const etl = pipelineJob('etl', [
      { name: 'fetch', command: node, args: ['-e', 'console.log("::metric rows=7"); console.log("fetched 7 rows")'] },
      { name: 'load', command: node, args: ['-e', 'console.log("::metric loaded=7"); console.error("load: 1 warning")'] },
    ]);
    const t = await openTestApi({ jobs: [etl], schedules: [schedule('etl-hourly', 'etl', { cron: '0 * * * *' })] });
    try {
      t.clock.set('2026-03-01T01:00:05Z');
      const { decided } = await t.engine.scheduler.tick();
      const runId = decided[0]!.slot.run_id!;
      t.engine.start({ scheduler: false });
      await waitForRunEnd(t.engine, runId);
      const run = await getRun(t, runId);
      assert.equal(run.status, 'succeeded');
      assert.equal(run.trigger, 'slot');
      assert.equal(run.scheduleId, 'etl-hourly');
      assert.equal(run.slotAt, '2026-03-01T01:00:00.000Z');
      assert.equal(run.lateMs, 5_000);
      assert.equal(run.eta, null, 'a finished run has no ETA');
      assert.equal(run.error, null);
      assert.deepEqual(run.metrics, { 'fetch.rows': 7, 'load.loaded': 7 });
      assert.deepEqual(run.steps.map((s) => [s.name, s.status, s.metrics]), [
        ['fetch', 'succeeded', { rows: 7 }],
        ['load', 'succeeded', { loaded: 7 }],
      ]);
      assert.match(run.logTail, /fetched 7 rows/);
      assert.match(run.logTail, /load: 1 warning/);
      assert.ok(run.logTail.indexOf('== step fetch ==') < run.logTail.indexOf('== step load =='), run.logTail);
      assert.deepEqual(run.attempts.map((a) => [a.attempt, a.status, a.worker, a.startedAt]), [[1, 'succeeded', t.engine.settings.nodeId, '2026-03-01T01:00:05.000Z']]);
    } finally {
      await t.close();
    }
  });

  test('a retried run shows both attempts; a failed run its error and exit code; unknown ids are 404', async () => {
    const counter = join(tempDir(), 'count');
    const t = await openTestApi({
      jobs: [commandJob('flaky', node, [FLAKY, counter, '2'], { retry: { retries: 1, backoffMs: [], jitterRatio: 0 } }), commandJob('bad', node, ['-e', 'console.error("no input data"); process.exit(3)'])],
    });
    try {
      t.engine.start({ scheduler: false });
      const flaky = body<TriggerBody>(await trigger(t, 'flaky', { tenantId: 'acme' }));
      await waitForRunEnd(t.engine, flaky.runId);
      const retried = await getRun(t, flaky.runId);
      assert.equal(retried.status, 'succeeded');
      assert.equal(retried.attempt, 2);
      assert.deepEqual([retried.maxAttempts, retried.maxRetries], [2, 1], 'retry.retries 1: the first attempt and one retry');
      assert.deepEqual(retried.attempts.map((a) => [a.attempt, a.status, a.exitCode]), [
        [1, 'retrying', 75],
        [2, 'succeeded', 0],
      ]);
      assert.deepEqual(retried.metrics, { calls: 2 });

      const bad = body<TriggerBody>(await trigger(t, 'bad', { tenantId: 'acme' }));
      await waitForRunEnd(t.engine, bad.runId);
      const failed = await getRun(t, bad.runId);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.exitCode, 3);
      assert.equal(failed.error?.code, 'NS_JOB_FAILED');
      assert.match(failed.logTail, /no input data/);
      assert.deepEqual(failed.attempts.map((a) => [a.status, a.exitCode]), [['failed', 3]]);

      await refused(t, { url: '/api/runs/run_nope' }, { status: 404, code: 'NS_NOT_FOUND', message: /run "run_nope" does not exist/ });
    } finally {
      await t.close();
    }
  });

  test('a malformed run id in the URL (too long, bad escape) answers with the NS_ error envelope, not Fastify’s', async () => {
    const t = await openTestApi();
    try {
      const long = await t.app.inject({ url: `/api/runs/${'x'.repeat(101)}` });
      assert.ok(long.statusCode === 400 || long.statusCode === 414, `status ${long.statusCode}`);
      assertError(long, { status: long.statusCode, code: 'NS_VALIDATION' });
      await refused(t, { url: '/api/runs/%E0%A4%A' }, { status: 400, code: 'NS_VALIDATION' });
    } finally {
      await t.close();
    }
  });
});

describe('POST /api/jobs/:id/trigger', () => {
  const jobs = [commandJob('quick', node, ['-e', '0']), commandJob('long', node, [WAIT_FOR_TERM]), commandJob('globex-only', node, ['-e', '0'], { tenants: ['globex'] })];

  test('202 with the run id, status, ETA (from history) and the next scheduled run; the run is readable at once', async () => {
    const t = await openTestApi({ jobs, schedules: [schedule('quick-6am', 'quick', { cron: '0 6 * * *' })] });
    try {
      const first = await trigger(t, 'quick', { tenantId: 'acme', params: { reason: 'backfill' } });
      assert.equal(first.statusCode, 202, first.body);
      const b = body<TriggerBody>(first);
      assert.match(b.runId, /^run_/);
      assert.equal(b.status, 'queued');
      assert.equal(b.eta, null, 'no history yet, so no estimate');
      assert.equal(b.nextScheduledRun, '2026-03-01T06:00:00.000Z');
      assert.equal(b.run.id, b.runId);
      assert.equal(b.run.trigger, 'manual');
      assert.equal(b.run.runAt, '2026-03-01T00:00:00.000Z');
      const stored = await getRun(t, b.runId);
      assert.equal(stored.status, 'queued');
      assert.deepEqual(stored.params, { reason: 'backfill' });
      assert.deepEqual(stored.attempts, []);

      // With two past successes of 2 and 4 minutes (median 3 min), the ETA is due time + 3 min.
      const past = [2, 4].map((m, i) =>
        seededRun({ id: newId('run', Date.parse('2026-02-01T00:00:00Z') + i), tenantId: 'globex', jobId: 'quick', trigger: 'manual', status: 'succeeded', maxAttempts: 1, timeoutMs: 60_000, runAt: 0, now: Date.parse('2026-02-01T00:00:00Z'), duration_ms: m * MINUTE, started_at: 1, finished_at: 2 }),
      );
      await inTransaction(t.engine.db, (x) => insertRuns(x, past));
      const now = await trigger(t, 'quick', { tenantId: 'globex' });
      assert.equal(body<TriggerBody>(now).eta, '2026-03-01T00:03:00.000Z');
      assert.equal(body<TriggerBody>(now).nextScheduledRun, null, 'globex has no schedule for quick');
      assert.equal((await getRun(t, body<TriggerBody>(now).runId)).eta, '2026-03-01T00:03:00.000Z');
    } finally {
      await t.close();
    }
  });

  test('`at` delays the run: runAt is that instant, and the ETA counts from it', async () => {
    const t = await openTestApi({ jobs });
    try {
      const past = seededRun({ id: newId('run', 1), tenantId: 'acme', jobId: 'quick', trigger: 'manual', status: 'succeeded', maxAttempts: 1, timeoutMs: 60_000, runAt: 0, now: 1, duration_ms: 10 * MINUTE, started_at: 1, finished_at: 2 });
      await inTransaction(t.engine.db, (x) => insertRuns(x, [past]));
      const res = await trigger(t, 'quick', { tenantId: 'acme', at: '2026-03-01T12:00:00Z' });
      assert.equal(res.statusCode, 202);
      const b = body<TriggerBody>(res);
      assert.equal(b.run.runAt, '2026-03-01T12:00:00.000Z');
      assert.equal(b.eta, '2026-03-01T12:10:00.000Z');
      const inPast = body<TriggerBody>(await trigger(t, 'quick', { tenantId: 'globex', at: '2020-01-01T00:00:00Z' }));
      assert.equal(inPast.run.runAt, '2026-03-01T00:00:00.000Z', 'a past `at` means now');
    } finally {
      await t.close();
    }
  });

  // Above the 20 s of each wait inside (process starts and stops, slow on a loaded CI machine).
  test('409 with the running run’s id while one is in flight; mode "queue" queues one behind it; cancel queued and running runs', { timeout: 60_000 }, async () => {
    const t = await openTestApi({ jobs });
    // Workers are busy meanwhile: a running run's pid, heartbeat and lease may move between snapshots.
    const live = { live: true };
    try {
      t.engine.start({ scheduler: false });
      const first = body<TriggerBody>(await trigger(t, 'long', { tenantId: 'acme' }));
      await waitForRunSpawned(t.engine, first.runId);
      assert.equal((await getRun(t, first.runId)).status, 'running');

      const conflict = await refused(t, { method: 'POST', url: '/api/jobs/long/trigger', payload: { tenantId: 'acme' } }, { status: 409, code: 'NS_CONFLICT', field: 'jobId', message: /already has run .* running.*mode "queue"/ }, live);
      assert.deepEqual(conflict.details, { runId: first.runId, status: 'running' });
      assert.match(conflict.message, new RegExp(first.runId));
      await refused(t, { method: 'POST', url: '/api/jobs/long/trigger', payload: { tenantId: 'acme', mode: 'now' } }, { status: 409, code: 'NS_CONFLICT' }, live);

      const other = await trigger(t, 'long', { tenantId: 'globex' });
      assert.equal(other.statusCode, 202, 'single flight is per (tenant, job)');
      const otherId = body<TriggerBody>(other).runId;

      const queued = await trigger(t, 'long', { tenantId: 'acme', mode: 'queue' });
      assert.equal(queued.statusCode, 202, queued.body);
      const queuedId = body<TriggerBody>(queued).runId;
      assert.equal(body<TriggerBody>(queued).status, 'queued');
      const second = await refused(t, { method: 'POST', url: '/api/jobs/long/trigger', payload: { tenantId: 'acme', mode: 'queue' } }, { status: 409, code: 'NS_CONFLICT', field: 'jobId' }, live);
      assert.ok([first.runId, queuedId].includes(String(second.details?.runId)), 'the 409 names the run in the way');

      // Cancel: a queued run ends at once; a second cancel is a conflict; a running run is stopped.
      const cancelQueued = await t.app.inject({ method: 'POST', url: `/api/runs/${queuedId}/cancel` });
      assert.equal(cancelQueued.statusCode, 200);
      assert.deepEqual(body(cancelQueued), { runId: queuedId, result: 'cancelled' });
      const cancelledRun = await getRun(t, queuedId);
      assert.equal(cancelledRun.status, 'cancelled');
      assert.equal(cancelledRun.finishedAt, '2026-03-01T00:00:00.000Z');
      await refused(t, { method: 'POST', url: `/api/runs/${queuedId}/cancel` }, { status: 409, code: 'NS_CONFLICT', field: 'runId', message: /already ended \(cancelled\)/ }, live);

      await waitForRunSpawned(t.engine, otherId);
      for (const id of [first.runId, otherId]) {
        const res = await t.app.inject({ method: 'POST', url: `/api/runs/${id}/cancel` });
        assert.equal(res.statusCode, 200);
        assert.deepEqual(body(res), { runId: id, result: 'requested' });
        const ended = await waitForRunEnd(t.engine, id);
        assert.equal(ended.status, 'cancelled');
        assert.equal((await getRun(t, id)).error?.code, 'NS_JOB_CANCELLED');
      }
      // Checked last so that the cancel flow above runs regardless: the advice must fit the request.
      assert.doesNotMatch(second.message, /use mode "queue"/, `mode was already "queue": ${second.message}`);
      assert.match(second.message, new RegExp(queuedId), 'it names the run already waiting (at most one waits behind a running one)');
      await refused(t, { method: 'POST', url: '/api/runs/run_ghost/cancel' }, { status: 404, code: 'NS_NOT_FOUND', message: /run_ghost/ }, live);
    } finally {
      await t.close();
    }
  });

  const bad: Array<[string, string, unknown, Parameters<typeof assertError>[1]]> = [
    ['an unknown job', 'ghost', { tenantId: 'acme' }, { status: 404, code: 'NS_NOT_FOUND', message: /job "ghost"/ }],
    ['an unknown tenant', 'quick', { tenantId: 'ghost' }, { status: 404, code: 'NS_NOT_FOUND', message: /tenant "ghost"/ }],
    ['a tenant the job does not run for', 'globex-only', { tenantId: 'acme' }, { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /does not run for tenant "acme"/ }],
    ['no tenant while several exist', 'quick', {}, { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /required/ }],
    ['an unknown mode', 'quick', { tenantId: 'acme', mode: 'later' }, { status: 400, code: 'NS_VALIDATION', field: 'mode', message: /"now", "queue"/ }],
    ['a malformed `at`', 'quick', { tenantId: 'acme', at: 'tomorrow morning' }, { status: 400, code: 'NS_VALIDATION', field: 'at', message: /date-time/ }],
    ['an unknown field', 'quick', { tenantId: 'acme', priority: 9 }, { status: 400, code: 'NS_VALIDATION', field: 'priority', message: /unknown field/ }],
    ['params that are not an object', 'quick', { tenantId: 'acme', params: 'fast' }, { status: 400, code: 'NS_VALIDATION', field: 'params', message: /object/ }],
    ['a tenant id outside the id pattern', 'quick', { tenantId: 'ACME' }, { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /pattern/ }],
    ['an array body', 'quick', ['acme'], { status: 400, code: 'NS_VALIDATION', field: 'body' }],
  ];
  describe('refused triggers (one shared app: each refusal proves the store unchanged)', () => {
    let t: TestApi;
    before(async () => {
      t = await openTestApi({ jobs });
    });
    after(async () => {
      await t.close();
    });
    for (const [what, jobId, payload, expected] of bad) {
      test(`refuses ${what} with ${expected.status} ${expected.code}, store unchanged`, async () => {
        await refused(t, { method: 'POST', url: `/api/jobs/${jobId}/trigger`, payload: payload as Record<string, unknown> }, expected);
      });
    }
  });

  test('with a single tenant, a trigger with no body at all runs for that tenant', async () => {
    const t = await openTestApi({ jobs, tenants: [{ id: 'solo', name: 'Solo', timezone: 'UTC' }] });
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger' });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(body<TriggerBody>(res).run.tenantId, 'solo');
    } finally {
      await t.close();
    }
  });
});
