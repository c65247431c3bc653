/**
 * What "on time", "late" and "missed" mean for a slot (README, "Downtime"), on both stores: a slot
 * is on time within one minute of its due time (its time plus its jitter) or within the schedule's
 * misfire grace if that is shorter; late within the grace; missed beyond it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listRuns } from '../../src/store/runs.ts';
import { listSchedules } from '../../src/store/schedules.ts';
import { listSlots } from '../../src/store/slots.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { HOUR, MINUTE, openTestEngine } from '../helpers/engine.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const job = commandJob('analysis', process.execPath, ['-e', '0']);
const SECOND = 1_000;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

for (const target of await storeTargets()) {
  describe(`misfire grace and on time (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('misfireGrace 30s: a slot seen 45 s late is missed, not run (the 1-minute tolerance does not win)', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { misfireGraceMs: 30 * SECOND })] });
      try {
        t.clock.set('2026-03-01T01:00:45Z');
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 0);
        const slot = tick.decided[0]!.slot;
        assert.equal(slot.fate, 'missed');
        assert.equal(slot.reason, 'late by 45s, beyond misfire grace 30s');
        assert.equal((await listRuns(t.engine.db.k, ALL_TENANTS, {})).length, 0);
      } finally {
        await t.close();
      }
    });

    test('misfireGrace 30s: within 30 s of its due time a slot is on time (fired, not fired_late)', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { misfireGraceMs: 30 * SECOND })] });
      try {
        t.clock.set('2026-03-01T01:00:29Z');
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 1);
        assert.equal(tick.decided[0]!.slot.fate, 'fired');
        assert.equal(tick.decided[0]!.slot.late_ms, 29 * SECOND);
      } finally {
        await t.close();
      }
    });

    test('misfireGrace 90s: 65 s late is late (fired_late, with how late), 100 s late is missed', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [job], schedules: [schedule('hourly', 'analysis', { misfireGraceMs: 90 * SECOND })] });
      try {
        t.clock.set('2026-03-01T01:01:05Z');
        const first = (await t.engine.scheduler.tick()).decided[0]!;
        assert.equal(first.slot.fate, 'fired_late');
        assert.match(first.run!.reason ?? '', /^late by 65s/);
        await t.engine.runs.cancel('acme', first.run!.id);
        t.clock.set('2026-03-01T02:01:40Z');
        assert.equal((await t.engine.scheduler.tick()).decided[0]!.slot.fate, 'missed');
      } finally {
        await t.close();
      }
    });

    test('grace and tolerance count from the due time: jitter is not lateness, and does not stretch the grace', async () => {
      const t = await openTestEngine(await target.make(), {
        jobs: [job],
        schedules: [schedule('hourly', 'analysis', { jitterMs: 10 * MINUTE, misfireGraceMs: 30 * SECOND, overlap: 'queue_one' })],
      });
      try {
        const [row] = await listSchedules(t.engine.db.k, ALL_TENANTS);
        t.clock.set(row!.due_at! + 20 * SECOND);
        const first = (await t.engine.scheduler.tick()).decided[0]!;
        assert.equal(first.slot.fate, 'fired');
        assert.equal(first.slot.late_ms, 20 * SECOND);
        await t.engine.runs.cancel('acme', first.run!.id);
        const [next] = await listSchedules(t.engine.db.k, ALL_TENANTS);
        t.clock.set(next!.due_at! + 45 * SECOND);
        const second = (await t.engine.scheduler.tick()).decided[0]!;
        assert.equal(second.slot.fate, 'missed', `jitter ${next!.due_at! - next!.next_slot_at!} ms`);
        assert.equal(second.slot.reason, 'late by 45s, beyond misfire grace 30s');
      } finally {
        await t.close();
      }
    });

    test('slots coalesced into a slot that overlap then skipped: the skipped slot keeps the "coalesced" note', async () => {
      const t = await openTestEngine(await target.make(), {
        jobs: [job],
        schedules: [schedule('quarterly', 'analysis', { cron: '*/15 * * * *', misfireGraceMs: HOUR })],
      });
      try {
        t.clock.set('2026-03-01T00:15:30Z');
        const first = await t.engine.scheduler.tick();
        assert.equal(first.fired, 1, 'the 00:15 run is queued and stays in flight');
        // Down from 00:16 to 01:05: 00:30 and 00:45 coalesce into 01:00, whose run overlap skips.
        t.clock.set('2026-03-01T01:05:00Z');
        await t.engine.scheduler.tick();
        const slots = await listSlots(t.engine.db.k, ALL_TENANTS, { scheduleId: 'quarterly' });
        assert.deepEqual(slots.map((s) => `${hhmm(s.slot_at)} ${s.fate}`), ['00:15 fired', '00:30 skipped', '00:45 skipped', '01:00 skipped']);
        const newest = slots.at(-1)!;
        assert.match(newest.reason ?? '', /^overlap: run run_\w+ is still queued \(policy skip\)/);
        assert.match(newest.reason ?? '', /2 older late slots coalesced into this one/);
        const skippedRun = (await listRuns(t.engine.db.k, ALL_TENANTS, { status: ['skipped'] }))[0]!;
        assert.match(skippedRun.reason ?? '', /2 older late slots coalesced into this one/);
        for (const s of slots.slice(1, 3)) assert.match(s.reason ?? '', /coalesced into slot 2026-03-01T01:00:00.000Z/);
      } finally {
        await t.close();
      }
    });
  });
}
