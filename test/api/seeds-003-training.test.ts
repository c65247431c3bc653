/** Seed 003: GET/POST/DELETE /api/training/schedule, GET /api/training/history, POST /api/training/cancel. */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getScheduleRow } from '../../src/store/schedules.ts';
import { schedule, tempDir, TENANTS } from '../helpers/settings.ts';
import { gated, openSeedApp, post, trainingJob, type SeedApp } from '../fixtures/seeds/seed-app.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** The seed's own body (its "Configure organization schedules" curl example). */
const SEED_BODY = { pattern: '0 2 * * 0', timezone: 'UTC', enabled: true, retryAttempts: 3 };
const CONFIG_KEYS = ['description', 'jobId', 'nextRuns', 'organizationId', 'retryAttempts', 'schedule', 'scheduleId'];

describe('seed 003: training schedule, history, cancel', () => {
  let s: SeedApp;
  const flag = join(tempDir(), 'linger');
  before(async () => {
    s = await openSeedApp({
      tenants: TENANTS,
      jobs: [trainingJob(gated(flag))],
      schedules: [schedule('acme.train', 'train', { cron: '0 2 * * *', jitterMs: 300_000, overlap: 'queue_one' })],
    });
  });
  after(() => s.close());

  test('GET shows the organization training schedule as the seed configures it', async () => {
    const res = await s.app.inject({ method: 'GET', url: '/api/training/schedule?organizationId=acme' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(Object.keys(body).sort(), CONFIG_KEYS);
    assert.deepEqual(body.schedule, { pattern: '0 2 * * *', timezone: 'UTC', enabled: true });
    assert.equal(body.organizationId, 'acme');
    assert.equal(body.scheduleId, 'acme.train');
    assert.equal(body.retryAttempts, 3);
    assert.equal(body.nextRuns.length, 5);
    body.nextRuns.forEach((t: string) => assert.match(t, ISO));

    const none = await s.app.inject({ method: 'GET', url: '/api/training/schedule?organizationId=globex' });
    assert.equal(none.statusCode, 404);
    assert.equal(none.json().error.code, 'NS_NOT_FOUND');
  });

  test("POST with the seed's body updates (200) an existing schedule, keeping what the seed has no field for", async () => {
    const res = await post(s.app, '/api/training/schedule', { organizationId: 'acme', ...SEED_BODY });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().schedule, { pattern: '0 2 * * 0', timezone: 'UTC', enabled: true });
    for (const t of res.json().nextRuns as string[]) assert.equal(new Date(t).getUTCDay(), 0, 'Sundays');
    const row = await getScheduleRow(s.engine.db.k, 'acme', 'acme.train');
    assert.equal(row?.cron, '0 2 * * 0');
    assert.equal(row?.jitter_ms, 300_000);
    assert.equal(row?.overlap, 'queue_one');

    const paused = await post(s.app, '/api/training/schedule', { organizationId: 'acme', enabled: false });
    assert.equal(paused.statusCode, 200, paused.body);
    assert.deepEqual(paused.json().schedule, { pattern: '0 2 * * 0', timezone: 'UTC', enabled: false });
    assert.deepEqual(paused.json().nextRuns, []);
  });

  test('POST creates (201) the schedule `${organization}.${job}` in the organization zone by default', async () => {
    const res = await post(s.app, '/api/training/schedule', { organizationId: 'globex', pattern: '30 4 * * 1' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().scheduleId, 'globex.train');
    assert.deepEqual(res.json().schedule, { pattern: '30 4 * * 1', timezone: 'Europe/London', enabled: true });
    const shown = await s.app.inject({ method: 'GET', url: '/api/training/schedule?organizationId=globex' });
    assert.deepEqual(shown.json(), res.json());
  });

  test('bad bodies are 400 naming the seed field, and change nothing', async () => {
    const before = { counts: await s.counts(), row: await getScheduleRow(s.engine.db.k, 'acme', 'acme.train') };
    for (const [body, code, field] of [
      [{ organizationId: 'acme', ...SEED_BODY, notifyOnSuccess: true }, 'NS_VALIDATION', 'notifyOnSuccess'],
      [{ organizationId: 'acme', ...SEED_BODY, enabled: 'yes' }, 'NS_VALIDATION', 'enabled'],
      [{ organizationId: 'acme', ...SEED_BODY, retryAttempts: 'three' }, 'NS_VALIDATION', 'retryAttempts'],
      [{ organizationId: 'acme', ...SEED_BODY, retryAttempts: 5 }, 'NS_VALIDATION', 'retryAttempts'],
      [{ organizationId: 'acme', ...SEED_BODY, pattern: '0 25 * * *' }, 'NS_SCHEDULE_INVALID', 'pattern'],
      [{ organizationId: 'acme', ...SEED_BODY, timezone: 'Mars/Olympus' }, 'NS_SCHEDULE_INVALID', 'timezone'],
      [{ ...SEED_BODY }, 'NS_VALIDATION', 'organizationId'],
    ] as const) {
      const res = await post(s.app, '/api/training/schedule', body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.code, code, res.body);
      assert.equal(res.json().error.field, field, res.body);
    }
    const pattern = await post(s.app, '/api/training/schedule', { organizationId: 'acme', ...SEED_BODY, pattern: '0 25 * * *' });
    assert.match(pattern.json().error.message, /^pattern="0 25 \* \* \*": hour 25/);
    const noOrg = await post(s.app, '/api/training/schedule', { organizationId: 'initech', ...SEED_BODY });
    assert.equal(noOrg.statusCode, 404);
    assert.deepEqual({ counts: await s.counts(), row: await getScheduleRow(s.engine.db.k, 'acme', 'acme.train') }, before);
  });

  test("retryAttempts counts retries after the first attempt, as the seed's 3 with backoff 5, 15, 45 min does", async () => {
    // The job retries 3 times (retry.retries: 3), so it may make 4 attempts in all.
    const shown = await s.app.inject({ method: 'GET', url: '/api/training/schedule?organizationId=acme' });
    assert.equal(shown.json().retryAttempts, 3);
    const accepted = await post(s.app, '/api/training/schedule', { organizationId: 'acme', retryAttempts: 3 });
    assert.equal(accepted.statusCode, 200, accepted.body);
    const refused = await post(s.app, '/api/training/schedule', { organizationId: 'acme', retryAttempts: 4 });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(
      refused.json().error.message,
      'retryAttempts=4: retries are configured per job; job "train" retries 3 times after the first attempt (retry.retries in the config file, or TRAINING_RETRY_ATTEMPTS); send 3 or leave the field out',
    );
    const jobs = await s.app.inject({ url: '/api/jobs?tenantId=acme' });
    assert.deepEqual(jobs.json().jobs.find((j: { id: string }) => j.id === 'train').retry, { retries: 3, backoffMs: [1000], jitterRatio: 0 });
  });

  test('DELETE removes the schedule; then GET and DELETE are 404', async () => {
    const res = await s.app.inject({ method: 'DELETE', url: '/api/training/schedule?organizationId=globex' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { success: true, message: 'Training schedule of organization "globex" cancelled', scheduleId: 'globex.train' });
    assert.equal((await s.app.inject({ method: 'GET', url: '/api/training/schedule?organizationId=globex' })).statusCode, 404);
    const again = await s.app.inject({ method: 'DELETE', url: '/api/training/schedule?organizationId=globex' });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'NS_NOT_FOUND');
  });

  test('history: the organization runs newest first, cursor pages, total', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await post(s.app, '/api/predictions/train/schedule', { tenantId: 'acme' });
      ids.push(res.json().run_id);
      await s.finished(res.json().run_id);
    }
    const other = await post(s.app, '/api/predictions/train/schedule', { tenantId: 'globex' });
    await s.finished(other.json().run_id);

    const first = await s.app.inject({ method: 'GET', url: '/api/training/history?organizationId=acme&limit=2' });
    assert.equal(first.statusCode, 200, first.body);
    const page1 = first.json();
    assert.deepEqual(Object.keys(page1).sort(), ['history', 'pagination']);
    assert.deepEqual(page1.history.map((h: { id: string }) => h.id), [ids[2], ids[1]]);
    assert.equal(page1.pagination.total, 3);
    assert.equal(page1.pagination.limit, 2);
    const entry = page1.history[0];
    assert.deepEqual(Object.keys(entry).sort(), ['assessment', 'attempt', 'completedAt', 'durationMs', 'error', 'id', 'jobId', 'maxAttempts', 'metrics', 'organizationId', 'outcome', 'queuedAt', 'reason', 'scheduledFor', 'startedAt', 'status', 'trigger'].sort());
    assert.equal(entry.organizationId, 'acme');
    assert.equal(entry.status, 'succeeded');
    assert.equal(entry.trigger, 'manual');
    assert.match(entry.completedAt, ISO);
    assert.deepEqual(entry.metrics, { accuracy: 0.91, samples: 1200 });

    const second = await s.app.inject({ method: 'GET', url: `/api/training/history?organizationId=acme&limit=2&cursor=${page1.pagination.nextCursor}` });
    assert.deepEqual(second.json().history.map((h: { id: string }) => h.id), [ids[0]]);
    assert.equal(second.json().pagination.nextCursor, null);

    for (const [url, field] of [
      ['/api/training/history?organizationId=acme&cursor=nonsense', 'cursor'],
      ['/api/training/history?organizationId=acme&limit=0', 'limit'],
      ['/api/training/history?organizationId=acme&page=2', 'page'],
    ] as const) {
      const bad = await s.app.inject({ method: 'GET', url });
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(bad.json().error.field, field);
    }
  });

  test('cancel: 404 with nothing active; otherwise the queued and the running run are cancelled', async () => {
    const idle = await post(s.app, '/api/training/cancel', { organizationId: 'acme' });
    assert.equal(idle.statusCode, 404, idle.body);
    assert.equal(idle.json().error.code, 'NS_NOT_FOUND');

    writeFileSync(flag, '');
    try {
      const started = s.engine.events.waitFor('run:spawned');
      const running = (await post(s.app, '/api/predictions/train/schedule', { tenantId: 'acme' })).json().run_id as string;
      await started;
      const queued = (await post(s.app, '/api/predictions/train/schedule', { tenantId: 'acme', when: 'queue' })).json().run_id as string;

      const before = await s.counts();
      const bad = await post(s.app, '/api/training/cancel', { organizationId: 'acme', runId: running });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.field, 'runId');
      assert.deepEqual(await s.counts(), before);

      const res = await post(s.app, '/api/training/cancel', { organizationId: 'acme' });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().cancelled, [
        { runId: queued, status: 'queued', result: 'cancelled' },
        { runId: running, status: 'running', result: 'requested' },
      ]);
      assert.equal(res.json().success, true);
      assert.equal((await s.finished(running)).status, 'cancelled');
      assert.equal((await s.engine.runs.get('acme', queued)).status, 'cancelled');
    } finally {
      rmSync(flag, { force: true });
    }
  });
});
