/**
 * GET/POST /api/schedules, GET/PUT/DELETE /api/schedules/:id, POST /api/schedules/:id/enable|disable
 * over app.inject(): descriptions, the next 5 fire times in the schedule's zone (checked
 * independently with Intl), idempotent redeploys, and refused inputs that leave every row as it was.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getScheduleRow } from '../../src/store/schedules.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { assertError, body, openTestApi, refused, type TestApi } from '../helpers/api.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const node = process.execPath;
const jobs = [commandJob('train', node, ['-e', '0']), commandJob('globex-only', node, ['-e', '0'], { tenants: ['globex'] })];

interface ScheduleBody {
  id: string;
  tenantId: string;
  jobId: string;
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  enabled: boolean;
  jitterMs: number;
  misfireGraceMs: number;
  catchUp: string;
  catchUpMax: number;
  overlap: string;
  description: string;
  nextSlotAt: string | null;
  nextRuns: string[];
  updatedAt: string;
}



/** Wall-clock fields of an instant in a zone, from Intl alone (independent of nightshift's zone code). */
function wall(zone: string, ms: number) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    weekday: 'short',
  }).formatToParts(ms);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, time: `${get('hour')}:${get('minute')}:${get('second')}`, weekday: get('weekday') };
}

/** The next `n` instants after `after` whose New York wall time is 08:30 on a weekday, found by brute force. */
function expectedWeekdayMornings(after: number, n: number): string[] {
  const found: number[] = [];
  for (let day = 0; found.length < n && day < 60; day++) {
    const base = new Date(after);
    const y = base.getUTCFullYear();
    const m = base.getUTCMonth();
    const d = base.getUTCDate() + day;
    // New York is UTC-5 (EST) or UTC-4 (EDT): 08:30 local is 13:30 or 12:30 UTC.
    for (const utcHour of [12, 13]) {
      const candidate = Date.UTC(y, m, d, utcHour, 30);
      const w = wall('America/New_York', candidate);
      const ymd = new Date(Date.UTC(y, m, d)).toISOString().slice(0, 10);
      if (candidate > after && w.date === ymd && w.time === '08:30:00' && !['Sat', 'Sun'].includes(w.weekday) && !found.includes(candidate)) found.push(candidate);
    }
  }
  return found.sort((a, b) => a - b).slice(0, n).map((ms) => new Date(ms).toISOString());
}

describe('schedules: create, read, update, delete, enable, disable', () => {
  test('GET /api/schedules/:id: description and the next 5 fire times in America/New_York, across the DST change', async () => {
    // Thursday 2026-03-05 07:00 EST; clocks go forward on Sunday 2026-03-08.
    const t = await openTestApi({ jobs, start: '2026-03-05T12:00:00Z' });
    try {
      const put = await t.app.inject({ method: 'PUT', url: '/api/schedules/ny-mornings', payload: { tenantId: 'acme', jobId: 'train', cron: '30 8 * * 1-5', timezone: 'America/New_York' } });
      assert.equal(put.statusCode, 201, put.body);
      const res = await t.app.inject({ url: '/api/schedules/ny-mornings' });
      assert.equal(res.statusCode, 200);
      const s = body<ScheduleBody>(res);
      assert.match(s.description, /08:30/);
      assert.match(s.description, /Monday/);
      assert.match(s.description, /America\/New_York/);
      assert.equal(s.nextRuns.length, 5);
      const expected = expectedWeekdayMornings(t.clock.now(), 5);
      assert.deepEqual(s.nextRuns, expected);
      // The same five, spelled out: two EST mornings, then EDT ones after the weekend.
      assert.deepEqual(expected, ['2026-03-05T13:30:00.000Z', '2026-03-06T13:30:00.000Z', '2026-03-09T12:30:00.000Z', '2026-03-10T12:30:00.000Z', '2026-03-11T12:30:00.000Z']);
      for (const at of s.nextRuns) {
        const w = wall('America/New_York', Date.parse(at));
        assert.equal(w.time, '08:30:00', `${at} is 08:30 in New York`);
      }
      assert.equal(s.nextSlotAt, expected[0]);
    } finally {
      await t.close();
    }
  });

  test('GET /api/schedules?upcoming=2 lists the first 2 of the same next fire times (in UTC and in the zone); 0 and 6 are refused', async () => {
    const t = await openTestApi({ jobs, start: '2026-03-05T12:00:00Z' });
    try {
      const put = await t.app.inject({ method: 'PUT', url: '/api/schedules/ny-mornings', payload: { tenantId: 'acme', jobId: 'train', cron: '30 8 * * 1-5', timezone: 'America/New_York' } });
      assert.equal(put.statusCode, 201, put.body);
      const all = body<{ schedules: Array<ScheduleBody & { nextRunsLocal: string[] }> }>(await t.app.inject({ url: '/api/schedules?limit=10' })).schedules[0]!;
      const two = body<{ schedules: Array<ScheduleBody & { nextRunsLocal: string[] }> }>(await t.app.inject({ url: '/api/schedules?limit=10&upcoming=2' })).schedules[0]!;
      assert.equal(all.nextRuns.length, 5);
      assert.deepEqual(two.nextRuns, all.nextRuns.slice(0, 2));
      assert.deepEqual(two.nextRunsLocal, ['2026-03-05T08:30:00-05:00', '2026-03-06T08:30:00-05:00']);
      for (const upcoming of [0, 6]) assert.equal((await t.app.inject({ url: `/api/schedules?upcoming=${upcoming}` })).statusCode, 400, `upcoming=${upcoming}`);
    } finally {
      await t.close();
    }
  });

  test('POST creates (201), the same body again changes nothing (200, row identical), PUT updates; GET lists with filters', async () => {
    const t = await openTestApi({ jobs, schedules: [schedule('declared', 'train', { tenantId: 'globex', cron: '0 1 * * *' })] });
    try {
      const payload = { id: 'acme-train', tenantId: 'acme', jobId: 'train', cron: '0 2 * * *', jitter: '5m', misfireGrace: '30m', catchUp: 'all', catchUpMax: 3, overlap: 'queue_one' };
      const created = await t.app.inject({ method: 'POST', url: '/api/schedules', payload });
      assert.equal(created.statusCode, 201, created.body);
      const s = body<ScheduleBody>(created);
      assert.deepEqual(
        { id: s.id, tenantId: s.tenantId, jobId: s.jobId, cron: s.cron, everyMs: s.everyMs, timezone: s.timezone, enabled: s.enabled, jitterMs: s.jitterMs, misfireGraceMs: s.misfireGraceMs, catchUp: s.catchUp, catchUpMax: s.catchUpMax, overlap: s.overlap },
        { id: 'acme-train', tenantId: 'acme', jobId: 'train', cron: '0 2 * * *', everyMs: null, timezone: 'UTC', enabled: true, jitterMs: 300_000, misfireGraceMs: 1_800_000, catchUp: 'all', catchUpMax: 3, overlap: 'queue_one' },
      );
      assert.equal(s.description, 'at 02:00 every day (UTC)');
      assert.equal(s.nextRuns[0], '2026-03-01T02:00:00.000Z');

      const row = await getScheduleRow(t.engine.db.k, 'acme', 'acme-train');
      t.clock.advance(60_000);
      const again = await t.app.inject({ method: 'POST', url: '/api/schedules', payload });
      assert.equal(again.statusCode, 200);
      assert.deepEqual(await getScheduleRow(t.engine.db.k, 'acme', 'acme-train'), row, 'redeploying the same body changes nothing, not even updated_at');

      const updated = await t.app.inject({ method: 'PUT', url: '/api/schedules/acme-train', payload: { tenantId: 'acme', jobId: 'train', every: '6h' } });
      assert.equal(updated.statusCode, 200, updated.body);
      const u = body<ScheduleBody>(updated);
      assert.equal(u.cron, null);
      assert.equal(u.everyMs, 21_600_000);
      assert.match(u.description, /every 6h/);

      const putNew = await t.app.inject({ method: 'PUT', url: '/api/schedules/globex-train', payload: { tenantId: 'globex', jobId: 'train', cron: '15 3 * * *' } });
      assert.equal(putNew.statusCode, 201);
      assert.equal(body<ScheduleBody>(putNew).timezone, 'Europe/London', 'the tenant’s zone by default');

      const ids = async (query: string) => body<{ schedules: ScheduleBody[] }>(await t.app.inject({ url: `/api/schedules${query}` })).schedules.map((x) => x.id);
      assert.deepEqual(await ids(''), ['acme-train', 'declared', 'globex-train']);
      assert.deepEqual(await ids('?tenantId=globex'), ['declared', 'globex-train']);
      assert.deepEqual(await ids('?jobId=train&tenantId=acme'), ['acme-train']);
      assertError(await t.app.inject({ url: '/api/schedules?job=train' }), { status: 400, code: 'NS_VALIDATION', field: 'job', message: /unknown field/ });
    } finally {
      await t.close();
    }
  });

  test("disable empties nextRuns, enable restores them; DELETE answers 204 then 404; unknown ids, and another tenant's, are 404", async () => {
    const t = await openTestApi({ jobs, schedules: [schedule('hourly', 'train', { cron: '0 * * * *' })] });
    try {
      const disabled = await t.app.inject({ method: 'POST', url: '/api/schedules/hourly/disable' });
      assert.equal(disabled.statusCode, 200);
      assert.equal(body<ScheduleBody>(disabled).enabled, false);
      assert.deepEqual(body<ScheduleBody>(disabled).nextRuns, []);
      assert.equal(body<ScheduleBody>(await t.app.inject({ url: '/api/schedules/hourly' })).enabled, false);

      const enabled = await t.app.inject({ method: 'POST', url: '/api/schedules/hourly/enable', payload: {} });
      assert.equal(enabled.statusCode, 200);
      assert.equal(body<ScheduleBody>(enabled).enabled, true);
      assert.deepEqual(body<ScheduleBody>(enabled).nextRuns.slice(0, 2), ['2026-03-01T01:00:00.000Z', '2026-03-01T02:00:00.000Z']);

      for (const request of [
        { url: '/api/schedules/ghost' },
        { method: 'POST', url: '/api/schedules/ghost/enable' },
        { method: 'POST', url: '/api/schedules/ghost/disable' },
        { method: 'DELETE', url: '/api/schedules/ghost' },
      ] as const) {
        await refused(t, request, { status: 404, code: 'NS_NOT_FOUND', message: /schedule "ghost" does not exist/ });
      }
      // Narrowed to another tenant, acme's schedule is just as absent, and stays as it was.
      for (const request of [
        { url: '/api/schedules/hourly?tenantId=globex' },
        { method: 'POST', url: '/api/schedules/hourly/disable?tenantId=globex' },
        { method: 'DELETE', url: '/api/schedules/hourly?tenantId=globex' },
      ] as const) {
        await refused(t, request, { status: 404, code: 'NS_NOT_FOUND', message: /^schedule "hourly" does not exist$/ });
      }
      assert.equal(body<ScheduleBody>(await t.app.inject({ url: '/api/schedules/hourly?tenantId=acme' })).tenantId, 'acme');
      await refused(
        t,
        { method: 'PUT', url: '/api/schedules/hourly', payload: { tenantId: 'globex', jobId: 'train', cron: '0 * * * *' } },
        { status: 409, code: 'NS_CONFLICT', field: 'id', message: /schedule "hourly" belongs to tenant "acme".*use a different schedule id/ },
      );

      const deleted = await t.app.inject({ method: 'DELETE', url: '/api/schedules/hourly' });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');
      assertError(await t.app.inject({ url: '/api/schedules/hourly' }), { status: 404, code: 'NS_NOT_FOUND' });
      await refused(t, { method: 'DELETE', url: '/api/schedules/hourly' }, { status: 404, code: 'NS_NOT_FOUND' });
    } finally {
      await t.close();
    }
  });
});

describe('schedules: refused inputs leave every schedule row exactly as it was', () => {
  const base = { tenantId: 'acme', jobId: 'train', cron: '0 2 * * *' };
  const cases: Array<[string, Record<string, unknown>, Parameters<typeof assertError>[1]]> = [
    ['an invalid cron', { ...base, cron: '61 * * * *' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'cron', message: /minute 61.*example/ }],
    ['a cron with too few fields', { ...base, cron: '* *' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'cron', message: /fields/ }],
    ['an unknown time zone', { ...base, timezone: 'America/Atlantis' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'timezone', message: /America\/Atlantis.*time zone/ }],
    ['both cron and every', { ...base, every: '1h' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'cron', message: /exactly one/ }],
    ['neither cron nor every', { tenantId: 'acme', jobId: 'train' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'cron', message: /exactly one/ }],
    ['an interval below the minimum', { tenantId: 'acme', jobId: 'train', every: '10ms' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'every', message: /at least/ }],
    ['an unreadable duration', { ...base, jitter: 'a while' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'jitter', message: /jitter.*a while/ }],
    ['a misfire grace below 1s', { ...base, misfireGrace: '0s' }, { status: 400, code: 'NS_SCHEDULE_INVALID', field: 'misfireGrace', message: /^misfireGrace="0s": must be at least 1s: a slot counts as on time only within its misfire grace.*; example "1h"$/ }],
    ['an unknown field', { ...base, priority: 'high' }, { status: 400, code: 'NS_VALIDATION', field: 'priority', message: /priority.*unknown field/ }],
    ['a string for a boolean (wrong type)', { ...base, enabled: 'maybe' }, { status: 400, code: 'NS_VALIDATION', field: 'enabled', message: /enabled.*boolean/ }],
    ['a string for an integer (wrong type)', { ...base, catchUpMax: '7' }, { status: 400, code: 'NS_VALIDATION', field: 'catchUpMax', message: /catchUpMax.*integer/ }],
    ['a number for the cron string (wrong type)', { ...base, cron: 5 }, { status: 400, code: 'NS_VALIDATION', field: 'cron', message: /cron.*string/ }],
    ['an out-of-range catchUpMax', { ...base, catchUpMax: 0 }, { status: 400, code: 'NS_VALIDATION', field: 'catchUpMax', message: />= 1/ }],
    ['an unknown catch-up policy', { ...base, catchUp: 'sometimes' }, { status: 400, code: 'NS_VALIDATION', field: 'catchUp', message: /"latest", "skip", "all"/ }],
    ['a missing jobId', { tenantId: 'acme', cron: '0 2 * * *' }, { status: 400, code: 'NS_VALIDATION', field: 'jobId', message: /required/ }],
    ['an unknown job', { ...base, jobId: 'ghost' }, { status: 404, code: 'NS_NOT_FOUND', message: /job "ghost"/ }],
    ['an unknown tenant', { ...base, tenantId: 'ghost' }, { status: 404, code: 'NS_NOT_FOUND', message: /tenant "ghost"/ }],
    ['a job that does not run for the tenant', { ...base, jobId: 'globex-only' }, { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /does not run for tenant "acme"/ }],
    ['no tenant while several exist', { jobId: 'train', cron: '0 2 * * *' }, { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /required/ }],
  ];

  // One app for the table: each refusal proves the store unchanged, so the cases cannot leak into each other.
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ jobs, schedules: [schedule('existing', 'train', { cron: '0 5 * * *', jitterMs: 1_000 })] });
  });
  after(async () => {
    await t.close();
  });
  for (const [what, payload, expected] of cases) {
    test(`PUT (update of an existing schedule) and POST (create) refuse ${what}`, async () => {
      const row = await getScheduleRow(t.engine.db.k, 'acme', 'existing');
      await refused(t, { method: 'PUT', url: '/api/schedules/existing', payload }, expected);
      assert.deepEqual(await getScheduleRow(t.engine.db.k, 'acme', 'existing'), row);
      await refused(t, { method: 'POST', url: '/api/schedules', payload: { id: 'fresh', ...payload } }, expected);
      assert.equal(await getScheduleRow(t.engine.db.k, ALL_TENANTS, 'fresh'), undefined);
    });
  }

  test('an id outside the id pattern is refused by POST and by PUT alike', async () => {
    await refused(t, { method: 'POST', url: '/api/schedules', payload: { id: 'Not An Id', ...base } }, { status: 400, code: 'NS_VALIDATION', field: 'id', message: /pattern/ });
    await refused(t, { method: 'PUT', url: '/api/schedules/Not%20An%20Id', payload: base }, { status: 400, code: 'NS_VALIDATION', field: 'id', message: /pattern/ });
  });
});
