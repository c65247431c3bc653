/**
 * Every duration and date the API takes has a stated range, checked before anything is written:
 * schedules' every, jitter and misfireGrace (schedule routes and the seeds' schedule route), a
 * trigger's `at`, the run history's from/to. An out-of-range value is a 400 naming the field and the
 * range, the store is unchanged, and the lists keep answering. A row stored before the ranges
 * existed (an interval whose slots pass the last date a Date can show) no longer breaks a list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { upsertScheduleDefinition } from '../../src/scheduler/schedule-sync.ts';
import { inTransaction } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { getScheduleRow } from '../../src/store/schedules.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { assertError, body, openTestApi, refused, type TestApi } from '../helpers/api.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const node = process.execPath;
const jobs = [commandJob('quick', node, ['-e', '0']), commandJob('train', node, ['-e', '0'], { role: 'training' })];
const LISTS = ['/api/schedules', '/api/jobs', '/api/runs', '/api/models', '/api/tenants', '/api/schedules?tenantId=globex', '/api/jobs?tenantId=acme'];

async function listsAnswer(t: TestApi): Promise<void> {
  for (const url of LISTS) {
    const res = await t.app.inject({ url });
    assert.equal(res.statusCode, 200, `GET ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
  }
}

describe('schedule durations: stated ranges, checked before anything is written', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ jobs, schedules: [schedule('existing', 'quick', { cron: '0 5 * * *' }), schedule('acme.train', 'train', { cron: '0 2 * * *' })] });
  });
  after(async () => {
    await t.close();
  });

  const base = { tenantId: 'acme', jobId: 'quick' };
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['every of 99999999 days (the issue)', { ...base, every: '99999999d' }, 'every', /every="99999999d".*at most 366d/],
    ['every over a year', { ...base, every: '367d' }, 'every', /at most 366d/],
    ['every as milliseconds past 2^53', { ...base, every: 2 ** 53 }, 'every', /every/],
    ['jitter over a day', { ...base, every: '366d', jitter: '2d' }, 'jitter', /jitter="2d".*from 0s to 1d/],
    ['misfireGrace over 31 days', { ...base, cron: '0 1 * * *', misfireGrace: '32d' }, 'misfireGrace', /misfireGrace="32d".*from 1s to 31d/],
    ['misfireGrace in milliseconds over 31 days', { ...base, cron: '0 1 * * *', misfireGrace: 31 * 86_400_000 + 1 }, 'misfireGrace', /from 1s to 31d/],
  ];
  for (const [what, payload, field, message] of cases) {
    test(`POST and PUT refuse ${what}: 400 naming ${field} and the range, nothing stored, lists answer`, async () => {
      await refused(t, { method: 'POST', url: '/api/schedules', payload: { id: 'fresh', ...payload } }, { status: 400, code: 'NS_SCHEDULE_INVALID', field, message });
      await refused(t, { method: 'PUT', url: '/api/schedules/existing', payload }, { status: 400, code: 'NS_SCHEDULE_INVALID', field, message });
      assert.equal(await getScheduleRow(t.engine.db.k, ALL_TENANTS, 'fresh'), undefined);
      await listsAnswer(t);
    });
  }

  test('the edges of the ranges are accepted: every 366d with a jitter of 1d, misfireGrace 31d, every 1s', async () => {
    const wide = await t.app.inject({ method: 'PUT', url: '/api/schedules/wide', payload: { ...base, every: '366d', jitter: '1d', misfireGrace: '31d' } });
    assert.equal(wide.statusCode, 201, wide.body);
    assert.deepEqual([body(wide).everyMs, body(wide).jitterMs, body(wide).misfireGraceMs], [366 * 86_400_000, 86_400_000, 31 * 86_400_000]);
    const fast = await t.app.inject({ method: 'PUT', url: '/api/schedules/fast', payload: { ...base, every: '1s' } });
    assert.equal(fast.statusCode, 201, fast.body);
    await listsAnswer(t);
  });

  test('the seeds’ schedule route cannot store what the schedule routes refuse either', async () => {
    // The seed body has no duration field; its pattern and zone go through the same checks.
    await refused(t, { method: 'POST', url: '/api/training/schedule', payload: { organizationId: 'acme', pattern: '0 25 * * *' } }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'pattern' });
    await listsAnswer(t);
  });

  test('a schedule stored before the ranges existed (every 99999999d) no longer breaks the lists', async () => {
    const legacy = schedule('legacy', 'quick', { cron: null, everyMs: 99_999_999 * 86_400_000 });
    await inTransaction(t.engine.db, (x) => upsertScheduleDefinition(x, legacy, t.clock.now(), 'api'));
    await listsAnswer(t);
    const one = body<{ nextSlotAt: string | null; nextRuns: string[] }>(await t.app.inject({ url: '/api/schedules/legacy' }));
    assert.deepEqual([one.nextSlotAt, one.nextRuns], [null, []], 'a slot in year 275760 never comes');

    // As an older release stored it: the next slot in year 275760. Migration 13 clears it.
    const k = t.engine.db.k;
    await k.updateTable('schedules').set({ next_slot_at: 8_639_999_913_600_000, due_at: 8_639_999_913_600_000 }).where('id', '=', 'legacy').execute();
    await k.deleteFrom('ns_migrations').where('id', '=', 14).execute();
    await migrate(t.engine.db);
    assert.deepEqual(await k.selectFrom('schedules').select(['next_slot_at', 'due_at']).where('id', '=', 'legacy').executeTakeFirst(), { next_slot_at: null, due_at: null });
    await listsAnswer(t);
  });
});

describe("a trigger's `at` and the run history's from/to", () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ jobs });
  });
  after(async () => {
    await t.close();
  });

  test('`at` more than 366 days ahead is refused naming `at` and the latest instant accepted; within it, the run waits', async () => {
    await refused(t, { method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'acme', at: '9999-12-31T23:59:59Z' } }, { status: 400, code: 'NS_VALIDATION', field: 'at', message: /at="9999-12-31T23:59:59.000Z".*at most 366d.*2027-03-02T00:00:00.000Z/ });
    await refused(t, { method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'acme', at: '2027-03-02T00:00:00.001Z' } }, { status: 400, code: 'NS_VALIDATION', field: 'at' });
    const later = await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'acme', at: '2027-03-02T00:00:00Z' } });
    assert.equal(later.statusCode, 202, later.body);
    const past = await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'globex', at: '2001-01-01T00:00:00Z' } });
    assert.equal(past.statusCode, 202, 'an instant already past means now');
    assert.equal(body<{ run: { runAt: string } }>(past).run.runAt, '2026-03-01T00:00:00.000Z');
    await listsAnswer(t);
  });

  test('from/to before 1970, or to before from, are refused naming the field', async () => {
    assertError(await t.app.inject({ url: '/api/runs?from=1969-12-31T23:59:59Z' }), { status: 400, code: 'NS_VALIDATION', field: 'from', message: /from="1969-12-31T23:59:59Z".*1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z/ });
    assertError(await t.app.inject({ url: '/api/runs?to=0001-01-01T00:00:00Z' }), { status: 400, code: 'NS_VALIDATION', field: 'to' });
    assertError(await t.app.inject({ url: '/api/runs?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z' }), { status: 400, code: 'NS_VALIDATION', field: 'to', message: /before from/ });
    const ok = await t.app.inject({ url: '/api/runs?from=1970-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z' });
    assert.equal(ok.statusCode, 200, ok.body);
  });
});
