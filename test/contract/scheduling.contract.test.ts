/** Scheduling contract: the same assertions on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listRuns } from '../../src/store/runs.ts';
import { listSchedules } from '../../src/store/schedules.ts';
import { countSlotsByFate, listSlots } from '../../src/store/slots.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { syncDefinitions } from '../../src/scheduler/schedule-sync.ts';
import { migrate } from '../../src/store/migrate.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { HOUR, MINUTE, openTestEngine } from '../helpers/engine.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const job = commandJob('analysis', process.execPath, ['-e', '0']);

for (const target of await storeTargets()) {
  describe(`scheduling contract (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('migrations are idempotent and definitions upsert by id without duplicates', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis')] });
      try {
        assert.deepEqual(await migrate(t.engine.db), []);
        const again = await syncDefinitions(t.engine.db, t.engine.settings, t.clock.now());
        assert.deepEqual(again.schedules, { created: 0, updated: 0, unchanged: 1 });
        const changed = await syncDefinitions(t.engine.db, { ...t.engine.settings, schedules: [schedule('hourly', 'analysis', { cron: '30 * * * *' })] }, t.clock.now());
        assert.deepEqual(changed.schedules, { created: 0, updated: 1, unchanged: 0 });
        const rows = await listSchedules(t.engine.db.k, ALL_TENANTS);
        assert.equal(rows.length, 1);
        assert.equal(rows[0]!.cron, '30 * * * *');
        assert.equal(rows[0]!.next_slot_at, Date.parse('2026-03-01T00:30:00Z'));
      } finally {
        await t.close();
      }
    });

    test('a due slot fires once however often the scheduler ticks', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis')] });
      try {
        t.clock.set('2026-03-01T00:59:59.999Z');
        assert.equal((await t.engine.scheduler.tick()).fired, 0);
        t.clock.set('2026-03-01T01:00:00.250Z');
        const first = await t.engine.scheduler.tick();
        assert.equal(first.fired, 1);
        assert.equal(first.decided[0]!.slot.fate, 'fired');
        assert.equal(first.decided[0]!.slot.late_ms, 250);
        for (let i = 0; i < 5; i++) assert.equal((await t.engine.scheduler.tick()).decided.length, 0);
        const runs = await listRuns(t.engine.db.k, ALL_TENANTS, {});
        assert.equal(runs.length, 1);
        assert.equal(runs[0]!.slot_at, Date.parse('2026-03-01T01:00:00Z'));
        assert.equal(runs[0]!.trigger, 'slot');
        assert.equal(runs[0]!.status, 'queued');
      } finally {
        await t.close();
      }
    });

    test('overlap: a slot whose (tenant, job) is still in flight is recorded as skipped with the reason', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis')] });
      try {
        t.clock.set('2026-03-01T01:00:01Z');
        await t.engine.scheduler.tick();
        t.clock.set('2026-03-01T02:00:01Z');
        const second = await t.engine.scheduler.tick();
        const slot = second.decided[0]!.slot;
        assert.equal(slot.fate, 'skipped');
        assert.match(slot.reason ?? '', /^overlap: run run_\w+ is still queued \(policy skip\)$/);
        assert.equal(second.decided[0]!.run?.status, 'skipped');
      } finally {
        await t.close();
      }
    });

    test('queue_one overlap allows one queued run behind a running one', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { overlap: 'queue_one' })] });
      try {
        t.clock.set('2026-03-01T01:00:01Z');
        await t.engine.scheduler.tick();
        t.clock.set('2026-03-01T02:00:01Z');
        const second = await t.engine.scheduler.tick();
        assert.equal(second.decided[0]!.slot.fate, 'skipped', 'the first run is still queued, so a second queued one is refused');
        assert.match(second.decided[0]!.slot.reason ?? '', /already queued/);
      } finally {
        await t.close();
      }
    });

    test('a disabled schedule records its slots as skipped (reason: disabled)', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { enabled: false })] });
      try {
        t.clock.set('2026-03-01T01:00:01Z');
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 0);
        assert.equal(tick.decided[0]!.slot.fate, 'skipped');
        assert.equal(tick.decided[0]!.slot.reason, 'schedule disabled');
      } finally {
        await t.close();
      }
    });

    for (const [policy, expected] of [
      ['latest', { fired_late: 1, skipped: 2, missed: 0 }],
      ['all', { fired_late: 1, skipped: 2, missed: 0 }],
      ['skip', { fired_late: 0, skipped: 3, missed: 0 }],
    ] as const) {
      test(`downtime across 3 slots: catch-up "${policy}" applied and every slot's fate stored`, async () => {
        const t = await openTestEngine(await target.make(), {
          jobs: [job],
          schedules: [schedule('quarterly', 'analysis', { cron: '*/15 * * * *', catchUp: policy, misfireGraceMs: HOUR })],
        });
        try {
          // Down from 00:10 to 00:50: slots 00:15, 00:30 and 00:45 pass unseen.
          t.clock.set('2026-03-01T00:50:00Z');
          const tick = await t.engine.scheduler.tick();
          assert.equal(tick.decided.length, 3);
          const fates = await countSlotsByFate(t.engine.db.k, ALL_TENANTS, 'quarterly');
          if (policy === 'all') {
            // all: each of the three runs; the 2nd and 3rd find the 1st still queued (overlap skip).
            assert.equal(fates.fired_late, 1);
            assert.equal(fates.skipped, 2);
          } else {
            assert.equal(fates.fired_late ?? 0, expected.fired_late);
            assert.equal(fates.skipped ?? 0, expected.skipped);
          }
          const slots = await listSlots(t.engine.db.k, ALL_TENANTS, { scheduleId: 'quarterly' });
          assert.deepEqual(slots.map((s) => new Date(s.slot_at).toISOString().slice(11, 16)), ['00:15', '00:30', '00:45']);
          for (const s of slots) assert.ok(s.reason, `slot ${s.slot_at} has a reason`);
          if (policy === 'latest') {
            const fired = slots.find((s) => s.fate === 'fired_late')!;
            assert.equal(new Date(fired.slot_at).toISOString().slice(11, 16), '00:45');
            assert.equal(fired.late_ms, 5 * MINUTE);
            assert.match(slots[0]!.reason!, /coalesced/);
          }
          if (policy === 'skip') assert.equal(tick.fired, 0);
          const runs = await listRuns(t.engine.db.k, ALL_TENANTS, { scheduleId: 'quarterly', status: ['queued'] });
          assert.equal(runs.length, policy === 'skip' ? 0 : 1);
          if (runs[0]) assert.ok((runs[0].late_ms ?? 0) >= 5 * MINUTE, 'the run records how late it was');
        } finally {
          await t.close();
        }
      });
    }

    test('process asleep for 2 h: slots beyond the misfire grace are recorded as missed', async () => {
      const t = await openTestEngine(await target.make(), {
        jobs: [job],
        schedules: [schedule('quarterly', 'analysis', { cron: '*/15 * * * *', misfireGraceMs: HOUR })],
      });
      try {
        t.clock.set('2026-03-01T00:00:30Z');
        await t.engine.scheduler.tick();
        t.clock.set('2026-03-01T02:05:00Z');
        await t.engine.scheduler.tick();
        const slots = await listSlots(t.engine.db.k, ALL_TENANTS, { scheduleId: 'quarterly' });
        // 00:15 … 02:00 = 8 slots; those older than 1 h (00:15 … 01:00) are missed.
        assert.equal(slots.length, 8);
        const missed = slots.filter((s) => s.fate === 'missed').map((s) => new Date(s.slot_at).toISOString().slice(11, 16));
        assert.deepEqual(missed, ['00:15', '00:30', '00:45', '01:00']);
        assert.equal(slots.filter((s) => s.fate === 'fired_late').length, 1);
        assert.equal(slots.at(-1)!.fate, 'fired_late');
      } finally {
        await t.close();
      }
    });

    test('clock going backwards neither re-fires nor loses slots', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis')] });
      try {
        t.clock.set('2026-03-01T02:00:01Z');
        await t.engine.scheduler.tick();
        t.clock.set('2026-03-01T00:30:00Z');
        assert.equal((await t.engine.scheduler.tick()).decided.length, 0);
        t.clock.set('2026-03-01T01:59:59Z');
        assert.equal((await t.engine.scheduler.tick()).decided.length, 0);
        t.clock.set('2026-03-01T03:00:02Z');
        const later = await t.engine.scheduler.tick();
        assert.equal(later.decided.length, 1);
        const slotTimes = (await listSlots(t.engine.db.k, ALL_TENANTS, { scheduleId: 'hourly' })).map((s) => new Date(s.slot_at).toISOString().slice(11, 16));
        assert.deepEqual(slotTimes, ['01:00', '02:00', '03:00']);
      } finally {
        await t.close();
      }
    });

    test('jitter delays a slot deterministically and is not counted as lateness', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { jitterMs: 10 * MINUTE })] });
      try {
        const [row] = await listSchedules(t.engine.db.k, ALL_TENANTS);
        const jitter = row!.due_at! - row!.next_slot_at!;
        assert.ok(jitter >= 0 && jitter < 10 * MINUTE);
        t.clock.set(row!.due_at! - 1);
        assert.equal((await t.engine.scheduler.tick()).fired, 0);
        t.clock.set(row!.due_at! + 5);
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 1);
        assert.equal(tick.decided[0]!.slot.fate, 'fired');
        assert.equal(tick.decided[0]!.slot.late_ms, 5);
      } finally {
        await t.close();
      }
    });

    test('interval schedules fire on aligned slots', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('six-hourly', 'analysis', { cron: null, everyMs: 6 * HOUR })] });
      try {
        t.clock.set('2026-03-01T06:00:00.010Z');
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 1);
        assert.equal(new Date(tick.decided[0]!.slot.slot_at).toISOString(), '2026-03-01T06:00:00.000Z');
      } finally {
        await t.close();
      }
    });
  });
}

for (const target of await storeTargets()) {
  describe(`history retention (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('old finished runs and slots are pruned; queued runs never are', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { overlap: 'queue_one' })], historyRetentionDays: 1 });
      try {
        t.clock.set('2026-03-01T01:00:01Z');
        const first = await t.engine.scheduler.tick();
        const oldRun = first.decided[0]!.run!;
        await t.engine.runs.cancel('acme', oldRun.id);
        t.clock.set('2026-03-02T12:00:01Z');
        await t.engine.scheduler.tick();
        const stillQueued = (await listRuns(t.engine.db.k, ALL_TENANTS, { status: ['queued'] }))[0]!;
        t.clock.set('2026-03-04T12:00:01Z');
        const counts = await t.engine.scheduler.prune(true);
        assert.ok(counts && counts.runs === 1 && counts.slots > 0, JSON.stringify(counts));
        const left = await listRuns(t.engine.db.k, ALL_TENANTS, { limit: 1000 });
        assert.ok(!left.some((r) => r.id === oldRun.id), 'the old cancelled run is gone');
        assert.ok(left.some((r) => r.id === stillQueued.id), 'a queued run is kept however old');
      } finally {
        await t.close();
      }
    });
  });
}

for (const target of await storeTargets()) {
  describe(`config and API ownership of schedules (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('API edits and deletions survive a restart with the same config; a changed config is applied again', async () => {
      const declared = schedule('hourly', 'analysis');
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [declared] });
      try {
        const restart = (schedules = [declared]) => syncDefinitions(t.engine.db, { ...t.engine.settings, schedules }, t.clock.now());
        await t.engine.schedules.upsert({ ...declared, cron: '15 * * * *' });
        assert.deepEqual((await restart()).schedules, { created: 0, updated: 0, unchanged: 1 });
        assert.equal((await listSchedules(t.engine.db.k, ALL_TENANTS))[0]!.cron, '15 * * * *', 'the API edit survived the restart');

        await t.engine.schedules.delete('acme', 'hourly');
        assert.deepEqual((await restart()).schedules, { created: 0, updated: 0, unchanged: 1 });
        assert.equal((await listSchedules(t.engine.db.k, ALL_TENANTS)).length, 0, 'the API deletion survived the restart');
        t.clock.set('2026-03-01T05:00:01Z');
        assert.equal((await t.engine.scheduler.tick()).decided.length, 0, 'a deleted schedule never fires');
        await assert.rejects(t.engine.schedules.delete('acme', 'hourly'), { code: 'NS_NOT_FOUND' });

        const changed = await restart([{ ...declared, cron: '45 * * * *' }]);
        assert.deepEqual(changed.schedules, { created: 1, updated: 0, unchanged: 0 }, 'a changed config declaration brings it back');
        const [row] = await listSchedules(t.engine.db.k, ALL_TENANTS);
        assert.equal(row!.cron, '45 * * * *');
        assert.equal(row!.next_slot_at, Date.parse('2026-03-01T05:45:00Z'));
      } finally {
        await t.close();
      }
    });
  });
}

for (const target of await storeTargets()) {
  describe(`schedule rewrites (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('a timing change records the old timing’s due-but-undecided slots; a schedule never moves to another tenant', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis')] });
      try {
        // Down since before 01:00; at 03:30 the timing is changed before the scheduler ran.
        t.clock.set('2026-03-01T03:30:00Z');
        await t.engine.schedules.upsert({ ...schedule('hourly', 'analysis'), cron: '45 * * * *' });
        const slots = await listSlots(t.engine.db.k, ALL_TENANTS, { scheduleId: 'hourly' });
        assert.deepEqual(slots.map((s) => new Date(s.slot_at).toISOString().slice(11, 16)), ['01:00', '02:00', '03:00']);
        for (const s of slots) assert.equal(s.reason, 'the schedule timing changed before this slot was decided');
        await assert.rejects(t.engine.schedules.upsert({ ...schedule('hourly', 'analysis'), tenantId: 'globex' }), { code: 'NS_CONFLICT' });
        assert.equal((await listSchedules(t.engine.db.k, ALL_TENANTS))[0]!.tenant_id, 'acme');
      } finally {
        await t.close();
      }
    });
  });
}
