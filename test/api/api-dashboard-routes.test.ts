/**
 * What the dashboard reads besides the older routes, over app.inject(): a schedule's slot fates
 * (newest first, keyset pages, tenant scope), a page of models with their champion, latest run
 * and next slot, schedules in pages, runs in flight, a running run's output so far, and the built dashboard served at `/` without taking any other path.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { buildApp } from '../../src/api/app.ts';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import { SLOT_FATE } from '../../src/runs/states.ts';
import { inTransaction } from '../../src/store/db.ts';
import { insertRuns } from '../../src/store/runs.ts';
import { insertSlots } from '../../src/store/slots.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { assertError, body, openTestApi, seededRun, waitForRunEnd, type TestApi } from '../helpers/api.ts';
import { commandJob, schedule, tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL } from '../fixtures/training/fleet.ts';

const HOUR = 3_600_000;
const START = Date.parse('2026-03-01T00:00:00Z');
const trainJob: TrainJob = { id: 'train-failure', kind: 'train', model: 'failure', description: '', role: null, tenants: ['acme', 'globex'], after: [], env: {}, timeoutMs: 60_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 } };
const model: DeclaredModel = { tenants: ['acme', 'globex'], jobId: trainJob.id, definition: parseModelDefinition({ ...FAILURE_MODEL, mode: 'full' }) };
const chatty = commandJob('chatty', process.execPath, ['-e', 'console.log("first line"); setInterval(() => console.log("tick"), 100)']);

describe('dashboard routes', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({
      start: START,
      models: [model],
      jobs: [trainJob, chatty],
      schedules: [
        schedule('acme.train.nightly', 'train-failure', { tenantId: 'acme', cron: '0 2 * * *', timezone: 'America/New_York' }),
        schedule('globex.train.off', 'train-failure', { tenantId: 'globex', cron: '0 3 * * *', enabled: false }),
      ],
    });
    const slot = (i: number, fate: string, extra: { reason?: string; lateMs?: number; tenant?: string; schedule?: string } = {}) => ({
      schedule_id: extra.schedule ?? 'acme.train.nightly',
      slot_at: START - (10 - i) * HOUR,
      tenant_id: extra.tenant ?? 'acme',
      job_id: 'train-failure',
      fate,
      reason: extra.reason ?? null,
      late_ms: extra.lateMs ?? 0,
      run_id: null,
      decided_at: START,
      decided_by: 'test',
    });
    await inTransaction(t.engine.db, async (x) => {
      await insertSlots(x, [
        ...Array.from({ length: 7 }, (_, i) => slot(i, SLOT_FATE.fired)),
        slot(7, SLOT_FATE.firedLate, { lateMs: 95_000 }),
        slot(8, SLOT_FATE.skipped, { reason: 'overlap' }),
        slot(9, SLOT_FATE.missed, { reason: 'beyond the misfire grace' }),
        slot(9, SLOT_FATE.fired, { tenant: 'globex', schedule: 'globex.train.off' }),
      ]);
      const run = (id: string, tenantId: string, queuedAt: number, status: 'failed' | 'succeeded') =>
        seededRun({ id, tenantId, jobId: 'train-failure', trigger: 'manual', status, maxAttempts: 1, timeoutMs: 60_000, runAt: queuedAt, now: queuedAt, finished_at: queuedAt + 1000 });
      await insertRuns(x, [run('run_old', 'acme', START - 3 * HOUR, 'failed'), run('run_new', 'acme', START - HOUR, 'succeeded'), run('run_globex', 'globex', START - 2 * HOUR, 'succeeded')]);
    });
  });
  after(async () => t?.close());

  test('slot fates: newest first, in pages, with how late and why', async () => {
    type Page = { slots: Array<{ slotAt: string; fate: string; reason: string | null; lateMs: number }>; nextBefore: string | null };
    const first = body<Page>(await t.app.inject({ url: '/api/schedules/acme.train.nightly/slots?limit=3' }));
    assert.deepEqual(first.slots.map((s) => [s.fate, s.reason, s.lateMs]), [['missed', 'beyond the misfire grace', 0], ['skipped', 'overlap', 0], ['fired_late', null, 95_000]]);
    assert.equal(first.slots[0]!.slotAt, new Date(START - HOUR).toISOString());
    assert.equal(first.nextBefore, first.slots[2]!.slotAt);
    const rest = body<Page>(await t.app.inject({ url: `/api/schedules/acme.train.nightly/slots?limit=50&before=${encodeURIComponent(first.nextBefore!)}` }));
    assert.equal(rest.slots.length, 7);
    assert.ok(rest.slots.every((s) => s.fate === 'fired'));
    assert.equal(rest.nextBefore, null);
  });

  test("slot fates of another tenant's schedule, or of none, are not found", async () => {
    assertError(await t.app.inject({ url: '/api/schedules/acme.train.nightly/slots?tenantId=globex' }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await t.app.inject({ url: '/api/schedules/nope/slots' }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await t.app.inject({ url: '/api/schedules/acme.train.nightly/slots?limit=0' }), { status: 400, code: 'NS_VALIDATION', field: 'limit' });
  });

  test("each model's champion, latest run and next enabled slot, a page at a time", async () => {
    type Row = { tenantId: string; model: string; jobId: string; task: string; primaryMetric: string; champion: unknown; lastRun: { id: string; status: string } | null; nextSlotAt: string | null };
    type Page = { models: Row[]; total: number; nextCursor: string | null };
    const first = body<Page>(await t.app.inject({ url: '/api/models/overview?limit=1' }));
    assert.equal(first.total, 2);
    const acme = first.models[0]!;
    assert.deepEqual([acme.tenantId, acme.model, acme.jobId, acme.task, acme.primaryMetric, acme.champion], ['acme', 'failure', 'train-failure', 'binary', 'auc', null]);
    assert.deepEqual([acme.lastRun?.id, acme.lastRun?.status], ['run_new', 'succeeded']);
    // 2 AM in New York (EST) after 2026-03-01T00:00Z is 07:00Z on March 1.
    assert.equal(acme.nextSlotAt, '2026-03-01T07:00:00.000Z');
    const second = body<Page>(await t.app.inject({ url: `/api/models/overview?limit=1&cursor=${first.nextCursor}` }));
    assert.deepEqual(second.models.map((m) => [m.tenantId, m.lastRun?.id, m.nextSlotAt]), [['globex', 'run_globex', null]], "globex's only schedule is disabled");
    assert.equal(second.nextCursor, null);
    const one = body<Page>(await t.app.inject({ url: '/api/models/overview?tenantId=globex' }));
    assert.deepEqual([one.total, one.models.map((m) => m.tenantId)], [1, ['globex']]);
    assertError(await t.app.inject({ url: '/api/models/overview?tenantId=nobody' }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await t.app.inject({ url: '/api/models/overview?cursor=xyz' }), { status: 400, code: 'NS_VALIDATION', field: 'cursor' });
  });

  test('schedules a page at a time; runs in flight from the queue', async () => {
    type Page = { schedules: Array<{ id: string }>; nextCursor: string | null };
    const first = body<Page>(await t.app.inject({ url: '/api/schedules?limit=1' }));
    const second = body<Page>(await t.app.inject({ url: `/api/schedules?limit=1&cursor=${first.nextCursor}` }));
    assert.deepEqual([...first.schedules, ...second.schedules].map((s) => s.id), ['acme.train.nightly', 'globex.train.off']);
    assert.equal(second.nextCursor, null);
    assert.equal(body<Page>(await t.app.inject({ url: '/api/schedules' })).schedules.length, 2, 'without limit: all of them');
    const none = body<{ running: unknown[]; queued: unknown[] }>(await t.app.inject({ url: '/api/runs/active' }));
    assert.deepEqual(none, { running: [], queued: [] });
  });

  test('a running run shows its output so far; its stored tail once it has ended', async () => {
    const started = t.engine.events.waitFor('run:line', (p) => p.line === 'first line', 20_000);
    const res = await t.app.inject({ method: 'POST', url: '/api/jobs/chatty/trigger', payload: { tenantId: 'acme' } });
    assert.equal(res.statusCode, 202, res.body);
    const runId = body<{ runId: string }>(res).runId;
    t.engine.workers.lifecycle.to('running');
    await t.engine.workers.claimAndStart();
    await started;
    const inFlight = body<{ running: Array<{ id: string }> }>(await t.app.inject({ url: '/api/runs/active?tenantId=acme' }));
    assert.deepEqual(inFlight.running.map((r) => r.id), [runId]);
    const running = body<{ status: string; logTail: string }>(await t.app.inject({ url: `/api/runs/${runId}` }));
    assert.equal(running.status, 'running');
    assert.match(running.logTail, /^first line\n/);
    await t.app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel` });
    const ended = await waitForRunEnd(t.engine, runId);
    assert.equal(ended.status, 'cancelled');
    const detail = body<{ logTail: string }>(await t.app.inject({ url: `/api/runs/${runId}` }));
    assert.equal(detail.logTail, ended.log_tail, 'the stored tail');
    assert.equal(t.engine.runs.liveTail(runId), null, 'the live tail is gone with the run');
  });
});

test('the built dashboard is served at /, and every other path keeps the API 404', async () => {
  const dir = join(tempDir('ns-ui-'), 'ui');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>nightshift</title><div id="app"></div>');
  writeFileSync(join(dir, 'app.js'), 'export {};\n');
  const t = await openTestApi();
  const app = await buildApp({ services: t.engine, logger: pino({ level: 'silent' }), dashboardDir: dir });
  try {
    const index = await app.inject({ url: '/' });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(index.body, /id="app"/);
    const js = await app.inject({ url: '/app.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assertError(await app.inject({ url: '/nothing-here' }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await app.inject({ url: '/api/nothing-here' }), { status: 404, code: 'NS_NOT_FOUND' });
    assert.equal((await app.inject({ url: '/api/tenants' })).statusCode, 200);
    const without = await buildApp({ services: t.engine, logger: pino({ level: 'silent' }), dashboardDir: false });
    assertError(await without.inject({ url: '/' }), { status: 404, code: 'NS_NOT_FOUND' });
    await without.close();
  } finally {
    await app.close();
    await t.close();
  }
});
