import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/clock.ts';
import {
  compileTiming,
  countSlots,
  DEFAULT_ON_TIME_TOLERANCE_MS,
  jitterFor,
  nextSlot,
  onTimeToleranceFor,
  planDue,
  type DuePlan,
  type PlanDueInput,
} from '../../src/schedule/index.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const quarterHourly = compileTiming({ cron: '*/15 * * * *' }, 't');

/** "11:15 coalesced" style summary, oldest first. */
const summary = (plan: DuePlan) => plan.decisions.map((d) => `${iso(d.slotAt)} ${d.action}`);

function plan(overrides: Partial<PlanDueInput>): DuePlan {
  return planDue({
    timing: quarterHourly,
    firstSlotAt: at('2025-06-01T10:15:00Z'),
    now: at('2025-06-01T12:00:30Z'),
    misfireGraceMs: HOUR,
    catchUp: 'latest',
    catchUpMax: 10,
    ...overrides,
  });
}

describe('planDue: process asleep for 2 h (15-minute cron, 1 h grace)', () => {
  // Last processed slot 10:00; woke at 12:00:30. 10:15-11:00 are over an hour late, 11:15-11:45
  // are backlog within grace, 12:00 is on time.
  const missed = ['10:15 missed', '10:30 missed', '10:45 missed', '11:00 missed'];

  test('latest: the backlog coalesces into the on-time slot, which fires once', () => {
    const p = plan({ catchUp: 'latest' });
    assert.deepEqual(summary(p), [...missed, '11:15 coalesced', '11:30 coalesced', '11:45 coalesced', '12:00 fire']);
    assert.equal(p.decisions[0]!.reason, 'late by 1h 45m, beyond misfire grace 1h');
    assert.equal(p.decisions[0]!.lateMs, HOUR + 45 * MIN + 30_000);
    assert.match(p.decisions[4]!.reason!, /coalesced into slot 2025-06-01T12:00:00.000Z/);
    assert.match(p.decisions[7]!.reason!, /3 older late slots coalesced into this one/);
    assert.equal(p.nextSlotAt, at('2025-06-01T12:15:00Z'));
    assert.equal(p.omittedMissed, 0);
  });

  test('latest without an on-time slot: the newest late slot fires', () => {
    const p = plan({ catchUp: 'latest', now: at('2025-06-01T11:55:00Z') });
    assert.deepEqual(summary(p).slice(-3), ['11:15 coalesced', '11:30 coalesced', '11:45 fire']);
    assert.match(p.decisions.at(-1)!.reason!, /catch-up/);
  });

  test('all: every backlog slot fires', () => {
    const p = plan({ catchUp: 'all' });
    assert.deepEqual(summary(p), [...missed, '11:15 fire', '11:30 fire', '11:45 fire', '12:00 fire']);
  });

  test('all with a cap: the oldest beyond the cap are missed', () => {
    const p = plan({ catchUp: 'all', catchUpMax: 2 });
    assert.deepEqual(summary(p), [...missed, '11:15 missed', '11:30 fire', '11:45 fire', '12:00 fire']);
    assert.equal(p.decisions[4]!.reason, 'catch-up cap 2 reached');
  });

  test('skip: no backlog slot fires, the on-time one does', () => {
    const p = plan({ catchUp: 'skip' });
    assert.deepEqual(summary(p), [...missed, '11:15 catch_up_skipped', '11:30 catch_up_skipped', '11:45 catch_up_skipped', '12:00 fire']);
  });
});

describe('planDue: normal operation and clock anomalies', () => {
  test('a slot seen a few seconds late simply fires, whatever the policy', () => {
    for (const catchUp of ['latest', 'skip', 'all'] as const) {
      const p = plan({ catchUp, firstSlotAt: at('2025-06-01T12:00:00Z'), now: at('2025-06-01T12:00:02Z') });
      assert.deepEqual(p.decisions, [{ slotAt: at('2025-06-01T12:00:00Z'), action: 'fire', lateMs: 2000 }]);
      assert.equal(p.nextSlotAt, at('2025-06-01T12:15:00Z'));
    }
  });

  test('the on-time tolerance never exceeds the grace: grace 30 s means 45 s late is missed', () => {
    const slot = at('2025-06-01T12:00:00Z');
    const late = (ms: number, misfireGraceMs: number) => plan({ misfireGraceMs, firstSlotAt: slot, now: slot + ms }).decisions[0]!;
    assert.equal(late(29_000, 30_000).action, 'fire');
    assert.equal(late(30_000, 30_000).action, 'fire');
    assert.deepEqual(late(45_000, 30_000), { slotAt: slot, action: 'missed', lateMs: 45_000, reason: 'late by 45s, beyond misfire grace 30s' });
    // With a grace longer than a minute, a slot between 1 min and the grace late is backlog.
    assert.equal(late(45_000, 90_000).reason, undefined);
    assert.deepEqual(late(65_000, 90_000), { slotAt: slot, action: 'fire', lateMs: 65_000, reason: 'catch-up (policy "latest")' });
    assert.equal(late(95_000, 90_000).action, 'missed');
    assert.equal(onTimeToleranceFor(30_000), 30_000);
    assert.equal(onTimeToleranceFor(HOUR), DEFAULT_ON_TIME_TOLERANCE_MS);
  });

  test('lateness counts from the due time (slot plus its jitter)', () => {
    const slot = at('2025-06-01T12:00:00Z');
    const jitter = (s: number) => (s === slot ? 4 * MIN : 0);
    const p = plan({ misfireGraceMs: 30_000, firstSlotAt: slot, now: slot + 4 * MIN + 20_000, dueDelayOf: jitter });
    assert.deepEqual(p.decisions, [{ slotAt: slot, action: 'fire', lateMs: 20_000 }]);
    const q = plan({ misfireGraceMs: 30_000, firstSlotAt: slot, now: slot + 4 * MIN + 45_000, dueDelayOf: jitter });
    assert.equal(q.decisions[0]!.action, 'missed');
    assert.equal(q.decisions[0]!.lateMs, 45_000);
  });

  test('nothing due yet: no decisions, next slot unchanged', () => {
    const p = plan({ firstSlotAt: at('2025-06-01T12:15:00Z'), now: at('2025-06-01T12:14:59Z') });
    assert.deepEqual(p.decisions, []);
    assert.equal(p.nextSlotAt, at('2025-06-01T12:15:00Z'));
  });

  test('clock went backwards: processed slots are never planned again', () => {
    const clock = new ManualClock('2025-06-01T12:00:30Z');
    const first = plan({ now: clock.now() });
    clock.advance(-3 * HOUR);
    const again = plan({ firstSlotAt: first.nextSlotAt!, now: clock.now() });
    assert.deepEqual(again.decisions, []);
    assert.equal(again.nextSlotAt, first.nextSlotAt);
  });

  test('consecutive plans hand over without gaps or repeats', () => {
    const clock = new ManualClock('2025-06-01T10:00:00Z');
    let firstSlotAt = at('2025-06-01T10:00:00Z');
    const seen: number[] = [];
    for (let k = 0; k < 40; k++) {
      const p = plan({ firstSlotAt, now: clock.now() });
      seen.push(...p.decisions.map((d) => d.slotAt));
      firstSlotAt = p.nextSlotAt!;
      clock.advance(7 * MIN + 13_000);
    }
    for (let k = 1; k < seen.length; k++) assert.equal(seen[k]! - seen[k - 1]!, 15 * MIN);
  });
});

describe('planDue: bounded after long downtime', () => {
  for (const [name, timing] of [
    ['1-second cron', compileTiming({ cron: '* * * * * *' }, 't')],
    ['1-second interval', compileTiming({ every: '1s' }, 't')],
  ] as const) {
    test(`${name}, down for a year`, () => {
      const firstSlotAt = at('2025-01-01T00:00:00Z');
      const now = at('2026-01-01T00:00:00Z');
      const started = performance.now();
      const p = planDue({ timing, firstSlotAt, now, misfireGraceMs: HOUR, catchUp: 'latest', catchUpMax: 10, maxRecorded: 1000 });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      assert.ok(p.decisions.length <= 1000 + 61, `${p.decisions.length} decisions`);
      const total = (now - firstSlotAt) / 1000 + 1;
      // Nothing is dropped: every slot is either listed or counted.
      assert.equal(p.decisions.length + p.omittedMissed + p.omittedCoalesced + p.omittedSkipped, total);
      assert.ok(p.omittedMissed > 31_000_000);
      assert.equal(p.nextSlotAt, now + 1000);
      // Listed decisions are the newest, oldest first, strictly increasing.
      for (let k = 1; k < p.decisions.length; k++) assert.equal(p.decisions[k]!.slotAt - p.decisions[k - 1]!.slotAt, 1000);
      assert.equal(p.decisions.at(-1)!.slotAt, now);
      assert.equal(p.decisions.filter((d) => d.action === 'fire').length, 61); // lateness 0..60 s
    });
  }

  test('missed slots beyond maxRecorded are counted by category', () => {
    const timing = compileTiming({ cron: '*/5 * * * *', timezone: 'Europe/London' }, 't');
    const firstSlotAt = at('2025-03-01T00:00:00Z');
    const now = at('2025-04-01T00:00:00Z');
    for (const catchUp of ['latest', 'skip', 'all'] as const) {
      const p = planDue({ timing, firstSlotAt, now, misfireGraceMs: 2 * HOUR, catchUp, catchUpMax: 3, maxRecorded: 10 });
      assert.equal(p.decisions.length, 10);
      const total = countSlots(timing, firstSlotAt - 1, now);
      // London's offsets are whole hours, so every 5-minute instant is exactly one slot, also
      // on March 30 when the wall times 01:00-02:00 all map to the single instant 01:00Z.
      assert.equal(total, (now - firstSlotAt) / (5 * MIN) + 1);
      assert.equal(p.decisions.length + p.omittedMissed + p.omittedCoalesced + p.omittedSkipped, total);
    }
  });
});

describe('jitterFor', () => {
  test('deterministic, within [0, jitterMs), 0 without jitter', () => {
    const slot = at('2025-06-01T02:00:00Z');
    assert.equal(jitterFor('a', slot, 0), 0);
    assert.equal(jitterFor('a', slot, 600_000), jitterFor('a', slot, 600_000));
    const values = new Set<number>();
    let sum = 0;
    for (let k = 0; k < 2000; k++) {
      const v = jitterFor(`tenant-${k}`, slot, 600_000);
      assert.ok(Number.isInteger(v) && v >= 0 && v < 600_000);
      values.add(v);
      sum += v;
    }
    assert.ok(values.size > 1900, 'spread');
    const mean = sum / 2000;
    assert.ok(mean > 270_000 && mean < 330_000, `mean ${mean}`);
    assert.notEqual(jitterFor('a', slot, 600_000), jitterFor('a', nextSlot(quarterHourly, slot)!, 600_000));
    assert.equal(jitterFor('a', slot, 1), 0);
    assert.throws(() => jitterFor('a', slot, -1), RangeError);
  });
});
