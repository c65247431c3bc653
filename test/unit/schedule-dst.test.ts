/**
 * DST policy over two full years, checked against an independent brute force: walk every
 * 15-minute instant, read its wall clock with Intl, and derive where each slot must be.
 * (15 minutes suffices: every transition in these zones, and every slot tested, falls on a
 * quarter hour, including Lord Howe's 30-minute shift.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compileTiming,
  countSlots,
  nextSlot,
  nextSlots,
  prevSlot,
  wallToInstant,
  type Timing,
} from '../../src/schedule/index.ts';

const STEP = 15 * 60_000;
const HOUR = 3_600_000;
const FROM = Date.UTC(2024, 11, 31); // covers local 2025-01-01 in every zone tested
const TO = Date.UTC(2027, 0, 2);
const ZONES = ['America/New_York', 'Europe/London', 'Australia/Lord_Howe'] as const;

interface Wall {
  key: string; // "2025-03-09 02:30"
  date: string; // "2025-03-09"
  hour: number;
  minute: number;
  ms: number; // wall encoded as UTC, for gap arithmetic
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function wallOf(zone: string, instant: number): Wall {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(f.formatToParts(instant).map((x) => [x.type, x.value]));
  const [y, mo, d, h, mi] = [p.year, p.month, p.day, p.hour, p.minute].map(Number) as [number, number, number, number, number];
  return { key: `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`, date: `${p.year}-${p.month}-${p.day}`, hour: h, minute: mi, ms: Date.UTC(y, mo - 1, d, h, mi) };
}

function offsetName(zone: string, instant: number): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(instant).find((p) => p.type === 'timeZoneName')!.value;
}

const walks = new Map<string, { instant: number; wall: Wall }[]>();
function walk(zone: string) {
  let w = walks.get(zone);
  if (!w) {
    w = [];
    for (let i = FROM; i < TO; i += STEP) w.push({ instant: i, wall: wallOf(zone, i) });
    walks.set(zone, w);
  }
  return w;
}

/** wallOf, read from the walk when the instant is one of its quarter hours (every slot tested is): the same Intl reading, done once. */
function wallAt(zone: string, instant: number): Wall {
  const k = (instant - FROM) / STEP;
  const hit = Number.isInteger(k) ? walk(zone)[k] : undefined;
  return hit?.instant === instant ? hit.wall : wallOf(zone, instant);
}

/**
 * Expected slots by brute force: gap walls → transition; a repeated wall → its first occurrence,
 * or every occurrence for patterns that follow the clock (wildcard or step in minute or hour).
 */
function expectedSlots(zone: string, matches: (hour: number, minute: number) => boolean, followsClock = false): number[] {
  const slots: number[] = [];
  const seen = new Set<string>();
  let prev: Wall | undefined;
  const push = (i: number) => {
    if (slots[slots.length - 1] !== i) slots.push(i);
  };
  for (const { instant, wall } of walk(zone)) {
    if (prev && wall.ms - prev.ms > STEP) {
      for (let g = prev.ms + STEP; g < wall.ms; g += STEP) {
        const d = new Date(g);
        if (matches(d.getUTCHours(), d.getUTCMinutes())) push(instant);
      }
    }
    if (matches(wall.hour, wall.minute) && (followsClock || !seen.has(wall.key))) push(instant);
    seen.add(wall.key);
    prev = wall;
  }
  return slots;
}

function actualSlots(timing: Timing): number[] {
  const slots: number[] = [];
  let s = nextSlot(timing, FROM - 1);
  while (s !== null && s < TO) {
    slots.push(s);
    s = nextSlot(timing, s);
  }
  return slots;
}

/** Transitions (first instant of the new offset) seen in the walk, with their direction. */
function transitions(zone: string): { at: number; forward: boolean }[] {
  const w = walk(zone);
  const found: { at: number; forward: boolean }[] = [];
  for (let k = 1; k < w.length; k++) {
    const jump = w[k]!.wall.ms - w[k - 1]!.wall.ms;
    if (jump !== STEP) found.push({ at: w[k]!.instant, forward: jump > STEP });
  }
  return found;
}

function assertStrictlyIncreasing(slots: number[]) {
  for (let k = 1; k < slots.length; k++) assert.ok(slots[k]! > slots[k - 1]!, `slot ${k} not after slot ${k - 1}`);
}

function localDays(zone: string): string[] {
  const days = new Set<string>();
  for (const { wall } of walk(zone)) if (wall.date >= '2025-01-01' && wall.date <= '2026-12-31') days.add(wall.date);
  return [...days];
}

const DAILIES: Record<string, string[]> = {
  'America/New_York': ['30 2 * * *', '30 1 * * *'],
  'Europe/London': ['30 2 * * *', '30 1 * * *'],
  'Australia/Lord_Howe': ['30 2 * * *', '30 1 * * *', '15 2 * * *'],
};

describe('cron slots across DST, 2025-2026', () => {
  for (const zone of ZONES) {
    test(`${zone}: dailies fire exactly once per local day, on the brute-force instants`, () => {
      const days = localDays(zone);
      assert.equal(days.length, 730);
      for (const expr of DAILIES[zone]!) {
        const [minute, hour] = expr.split(' ').map(Number) as [number, number];
        const timing = compileTiming({ cron: expr, timezone: zone }, 't');
        const actual = actualSlots(timing);
        assert.deepEqual(actual, expectedSlots(zone, (h, m) => h === hour && m === minute), expr);
        assertStrictlyIncreasing(actual);
        const perDay = new Map<string, number>();
        for (const s of actual) {
          const date = wallAt(zone, s).date;
          perDay.set(date, (perDay.get(date) ?? 0) + 1);
        }
        for (const day of days) assert.equal(perDay.get(day), 1, `${expr} on ${day}`);
      }
    });

    test(`${zone}: hourly slots match the brute force and never repeat`, () => {
      const timing = compileTiming({ cron: '0 * * * *', timezone: zone }, 't');
      const actual = actualSlots(timing);
      const expected = expectedSlots(zone, (_h, m) => m === 0, true);
      assert.deepEqual(actual, expected);
      assert.equal(new Set(actual).size, actual.length);
      assertStrictlyIncreasing(actual);
      // Cross-check the brute force itself: 730 local days of 24 wall hours each, except that
      // on NY/London spring-forward days 02:00 collapses onto 03:00 (23 slots) and on fall-back
      // days the repeated 01:00 fires in both occurrences (25 slots). Lord Howe's half-hour
      // shifts never merge nor repeat a :00 wall.
      const inYears = actual.filter((s) => wallAt(zone, s).date >= '2025-01-01' && wallAt(zone, s).date <= '2026-12-31');
      assert.equal(inYears.length, 17_520);
      const perDay = new Map<string, number>();
      for (const s of inYears) perDay.set(wallAt(zone, s).date, (perDay.get(wallAt(zone, s).date) ?? 0) + 1);
      const counts = [...perDay.values()].sort((a, b) => a - b);
      assert.deepEqual([counts[0], counts[counts.length - 1]], zone === 'Australia/Lord_Howe' ? [24, 24] : [23, 25]);
    });

    test(`${zone}: every 15 minutes and every 30 minutes of 01-03 match the brute force`, () => {
      for (const [expr, matches] of [
        ['*/15 * * * *', (_h: number, m: number) => m % 15 === 0],
        ['*/30 1-3 * * *', (h: number, m: number) => h >= 1 && h <= 3 && m % 30 === 0],
      ] as const) {
        const actual = actualSlots(compileTiming({ cron: expr, timezone: zone }, 't'));
        assert.deepEqual(actual, expectedSlots(zone, matches, true), expr);
        assertStrictlyIncreasing(actual);
      }
    });
  }

  test('America/New_York spring-forward: 02:30 and 02:00 land on the transition instant, once', () => {
    const zone = 'America/New_York';
    const springs = transitions(zone).filter((t) => t.forward);
    assert.equal(springs.length, 2);
    const daily = compileTiming({ cron: '30 2 * * *', timezone: zone }, 't');
    const hourly = compileTiming({ cron: '0 * * * *', timezone: zone }, 't');
    for (const { at } of springs) {
      assert.equal(nextSlot(daily, at - 1), at);
      assert.equal(wallOf(zone, at).key.slice(11), '03:00');
      assert.equal(offsetName(zone, at), 'GMT-04:00');
      // 01:00 EST, then 03:00 EDT once (02:00 and 03:00 share the instant), then 04:00 EDT.
      assert.deepEqual(nextSlots(hourly, at - 2 * HOUR, 3), [at - HOUR, at, at + HOUR]);
    }
  });

  test('fall-back: an ambiguous 01:30 runs at its first occurrence (summer offset)', () => {
    for (const [zone, summer] of [['America/New_York', 'GMT-04:00'], ['Europe/London', 'GMT+01:00']] as const) {
      const falls = transitions(zone).filter((t) => !t.forward);
      assert.equal(falls.length, 2);
      const daily = compileTiming({ cron: '30 1 * * *', timezone: zone }, 't');
      for (const { at } of falls) {
        const slot = nextSlot(daily, at - 3 * HOUR)!;
        assert.equal(slot, at - 30 * 60_000, zone);
        assert.equal(offsetName(zone, slot), summer);
        // Asked from inside the second pass, the next slot is the next day's.
        assert.ok(nextSlot(daily, at + 45 * 60_000)! > at + 20 * HOUR);
      }
    }
  });

  test('Australia/Lord_Howe: 02:15 inside the 30-minute gap lands on the transition', () => {
    const zone = 'Australia/Lord_Howe';
    const springs = transitions(zone).filter((t) => t.forward);
    assert.equal(springs.length, 2);
    const daily = compileTiming({ cron: '15 2 * * *', timezone: zone }, 't');
    for (const { at } of springs) {
      assert.equal(nextSlot(daily, at - 1), at);
      assert.equal(wallOf(zone, at).key.slice(11), '02:30');
      assert.equal(offsetName(zone, at), 'GMT+11:00');
      assert.equal(offsetName(zone, at - 1), 'GMT+10:30');
    }
  });

  test('countSlots and prevSlot agree with enumeration around every transition', () => {
    for (const zone of ZONES) {
      for (const expr of ['*/15 * * * *', '0 * * * *', '30 1 * * *', '15 2 * * *', '*/20 1-3 * * *']) {
        const timing = compileTiming({ cron: expr, timezone: zone }, 't');
        for (const { at } of transitions(zone)) {
          const from = at - 5 * HOUR - 7_000;
          const slots = nextSlots(timing, from, 200).filter((s) => s <= at + 5 * HOUR);
          assert.equal(countSlots(timing, from, at + 5 * HOUR), slots.length, `${zone} ${expr}`);
          for (let k = 1; k < slots.length; k++) {
            assert.equal(prevSlot(timing, slots[k]!), slots[k - 1], `${zone} ${expr} prev of ${new Date(slots[k]!).toISOString()}`);
          }
        }
      }
    }
  });
});

describe('wallToInstant with unusual offsets', () => {
  test('half-hour, 45-minute and second-level offsets, and a skipped calendar day', () => {
    assert.equal(wallToInstant('Asia/Kathmandu', Date.UTC(2025, 5, 1, 2)), Date.UTC(2025, 4, 31, 20, 15));
    // Liberia moved from -0:44:30 to UTC at 1972-01-07 00:00 local: that wall time is in the gap.
    assert.equal(wallToInstant('Africa/Monrovia', Date.UTC(1972, 0, 7)), Date.UTC(1972, 0, 7, 0, 44, 30));
    // Samoa skipped 2011-12-30 entirely; any wall time that day maps to the transition.
    assert.equal(wallToInstant('Pacific/Apia', Date.UTC(2011, 11, 30, 12)), Date.UTC(2011, 11, 30, 10));
  });
});

describe('intervals ignore DST', () => {
  test('every 6h stays 6h apart and epoch-aligned through every transition', () => {
    const timing = compileTiming({ every: '6h', timezone: 'America/New_York' }, 't');
    const slots = nextSlots(timing, FROM, 4 * 731);
    for (let k = 0; k < slots.length; k++) {
      assert.equal(slots[k]! % (6 * HOUR), 0);
      if (k > 0) assert.equal(slots[k]! - slots[k - 1]!, 6 * HOUR);
    }
    assert.equal(countSlots(timing, FROM, slots[slots.length - 1]!), slots.length);
  });

  test('an anchor shifts the grid', () => {
    const timing = compileTiming({ every: '1h30m', anchor: 60_000 }, 't');
    assert.deepEqual(nextSlots(timing, 0, 2), [60_000, 60_000 + 90 * 60_000]);
    assert.equal(prevSlot(timing, 60_000), 60_000 - 90 * 60_000);
  });
});
