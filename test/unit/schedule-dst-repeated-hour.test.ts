/**
 * The repeated hour at fall-back and the gap at spring-forward, in three zones, for both kinds of
 * pattern (README, "Daylight saving time policy"):
 * - a wildcard or a step in the minute or hour field follows the clock through both occurrences
 *   of the repeated hour (Vixie cron): `*\/15 * * * *` never pauses;
 * - a fixed time that occurs twice runs once, at its first occurrence;
 * - either kind: wall times inside a spring-forward gap are one slot, at the first instant after it.
 * The transition instants are written out and checked against Intl, so the expectations are plain
 * instants rather than the output of another algorithm.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTiming, countSlots, nextSlot, nextSlots, prevSlot } from '../../src/schedule/index.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

interface Shift {
  zone: string;
  /** First instant of the new offset. */
  at: number;
  /** Wall hour that repeats (fall-back) or is skipped (spring-forward). */
  hour: number;
  /** The offsets before and after, as Intl names them. */
  before: string;
  after: string;
}

const FALL_BACK: Shift[] = [
  { zone: 'America/New_York', at: Date.parse('2025-11-02T06:00:00Z'), hour: 1, before: 'GMT-04:00', after: 'GMT-05:00' },
  { zone: 'Europe/London', at: Date.parse('2025-10-26T01:00:00Z'), hour: 1, before: 'GMT+01:00', after: 'GMT+00:00' },
  { zone: 'Australia/Sydney', at: Date.parse('2025-04-05T16:00:00Z'), hour: 2, before: 'GMT+11:00', after: 'GMT+10:00' },
];

const SPRING_FORWARD: Shift[] = [
  { zone: 'America/New_York', at: Date.parse('2025-03-09T07:00:00Z'), hour: 2, before: 'GMT-05:00', after: 'GMT-04:00' },
  { zone: 'Europe/London', at: Date.parse('2025-03-30T01:00:00Z'), hour: 1, before: 'GMT+00:00', after: 'GMT+01:00' },
  { zone: 'Australia/Sydney', at: Date.parse('2025-10-04T16:00:00Z'), hour: 2, before: 'GMT+10:00', after: 'GMT+11:00' },
];

function offsetName(zone: string, instant: number): string {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(instant).find((p) => p.type === 'timeZoneName')!.value;
  // ICU versions differ on whether UTC+0 is "GMT" or "GMT+00:00".
  return name === 'GMT' ? 'GMT+00:00' : name;
}

function wallClock(zone: string, instant: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(instant);
}

const hh = (hour: number) => String(hour).padStart(2, '0');
const iso = (ms: number) => new Date(ms).toISOString();
const isos = (list: number[]) => list.map(iso);

/** Slots in [fromMs, toMs], by repeated nextSlot. */
function slotsIn(cron: string, zone: string, fromMs: number, toMs: number): number[] {
  const timing = compileTiming({ cron, timezone: zone }, 't');
  return nextSlots(timing, fromMs - 1, 500).filter((s) => s <= toMs);
}

const range = (from: number, to: number, step: number) => {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
};

describe('fall-back: the repeated hour', () => {
  for (const s of FALL_BACK) {
    const { zone, at, hour: h } = s;
    // The repeated wall hour runs first over [at - 1 h, at), then again over [at, at + 1 h).
    test(`${zone}: the transition is where the test says`, () => {
      assert.equal(offsetName(zone, at - 1), s.before);
      assert.equal(offsetName(zone, at), s.after);
      assert.equal(wallClock(zone, at - HOUR), `${hh(h)}:00`);
      assert.equal(wallClock(zone, at), `${hh(h)}:00`);
    });

    test(`${zone}: */15 * * * * fires every 15 minutes through both occurrences (no 75-minute pause)`, () => {
      const slots = slotsIn('*/15 * * * *', zone, at - 2 * HOUR, at + 2 * HOUR);
      assert.deepEqual(isos(slots), isos(range(at - 2 * HOUR, at + 2 * HOUR, 15 * MIN)));
      // Each repeated wall reading appears twice, under each offset.
      const walls = slots.map((t) => wallClock(zone, t));
      assert.equal(walls.filter((w) => w === `${hh(h)}:30`).length, 2);
    });

    test(`${zone}: hourly (0 * * * *) and a step in the hour field (20 */1 * * *) fire in both occurrences`, () => {
      assert.deepEqual(isos(slotsIn('0 * * * *', zone, at - 2 * HOUR, at + 2 * HOUR)), isos(range(at - 2 * HOUR, at + 2 * HOUR, HOUR)));
      assert.deepEqual(isos(slotsIn('20 */1 * * *', zone, at - 2 * HOUR, at + 2 * HOUR)), isos(range(at - 2 * HOUR + 20 * MIN, at + HOUR + 20 * MIN, HOUR)));
    });

    test(`${zone}: a step in the minute field with a fixed hour (*/30 ${h} * * *) fires in both occurrences`, () => {
      const slots = slotsIn(`*/30 ${h} * * *`, zone, at - 3 * HOUR, at + 20 * HOUR);
      assert.deepEqual(isos(slots), isos([at - HOUR, at - 30 * MIN, at, at + 30 * MIN]));
    });

    test(`${zone}: fixed times (30 ${h} * * *, 0,45 ${h} * * *) run once, at the first occurrence`, () => {
      assert.deepEqual(isos(slotsIn(`30 ${h} * * *`, zone, at - 3 * HOUR, at + 20 * HOUR)), isos([at - 30 * MIN]));
      assert.deepEqual(isos(slotsIn(`0,45 ${h} * * *`, zone, at - 3 * HOUR, at + 20 * HOUR)), isos([at - HOUR, at - 15 * MIN]));
      // Asked from inside the second occurrence, the next fixed slot is the next day's.
      const daily = compileTiming({ cron: `30 ${h} * * *`, timezone: zone }, 't');
      assert.ok(nextSlot(daily, at + 10 * MIN)! > at + 20 * HOUR);
    });

    test(`${zone}: asked from inside the second occurrence, next, previous and count agree`, () => {
      const quarter = compileTiming({ cron: '*/15 * * * *', timezone: zone }, 't');
      assert.equal(nextSlot(quarter, at + 7 * MIN), at + 15 * MIN);
      assert.equal(nextSlot(quarter, at - 1), at);
      assert.equal(prevSlot(quarter, at), at - 15 * MIN);
      assert.equal(prevSlot(quarter, at + 15 * MIN), at);
      assert.equal(countSlots(quarter, at - 2 * HOUR - 1, at + 2 * HOUR), 17);
      const hourly = compileTiming({ cron: '0 * * * *', timezone: zone }, 't');
      assert.equal(countSlots(hourly, at - HOUR - 1, at + HOUR), 3);
      const fixed = compileTiming({ cron: `0,45 ${h} * * *`, timezone: zone }, 't');
      assert.equal(countSlots(fixed, at - 2 * HOUR, at + 2 * HOUR), 2);
    });
  }
});

describe('spring-forward: the skipped hour (unchanged)', () => {
  for (const s of SPRING_FORWARD) {
    const { zone, at, hour: h } = s;
    test(`${zone}: the transition is where the test says`, () => {
      assert.equal(offsetName(zone, at - 1), s.before);
      assert.equal(offsetName(zone, at), s.after);
      assert.equal(wallClock(zone, at - 1), `${hh(h - 1)}:59`);
      assert.equal(wallClock(zone, at), `${hh(h + 1)}:00`);
    });

    test(`${zone}: */15 * * * * runs the gap's slots once, at the first instant after it`, () => {
      const slots = slotsIn('*/15 * * * *', zone, at - HOUR, at + HOUR);
      assert.deepEqual(isos(slots), isos(range(at - HOUR, at + HOUR, 15 * MIN)));
      assert.deepEqual(isos(slotsIn('0 * * * *', zone, at - 2 * HOUR, at + 2 * HOUR)), isos(range(at - 2 * HOUR, at + 2 * HOUR, HOUR)));
      const quarter = compileTiming({ cron: '*/15 * * * *', timezone: zone }, 't');
      assert.equal(countSlots(quarter, at - HOUR - 1, at + HOUR), 9);
      assert.equal(prevSlot(quarter, at + 15 * MIN), at);
      assert.equal(prevSlot(quarter, at), at - 15 * MIN);
    });

    test(`${zone}: a slot in the gap runs once, at the first instant after it, for both kinds`, () => {
      for (const cron of [`30 ${h} * * *`, `*/30 ${h} * * *`, `0,45 ${h} * * *`]) {
        assert.deepEqual(isos(slotsIn(cron, zone, at - 3 * HOUR, at + 20 * HOUR)), isos([at]), cron);
        const timing = compileTiming({ cron, timezone: zone }, 't');
        assert.equal(countSlots(timing, at - 3 * HOUR, at + 20 * HOUR), 1, cron);
        assert.equal(prevSlot(timing, at + 20 * HOUR), at, cron);
      }
    });
  }
});
