import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NsError } from '../../src/errors.ts';
import {
  assertTimeZone,
  compileTiming,
  describeTiming,
  nextSlots,
  parseDuration,
  validateCron,
  type TimingInput,
} from '../../src/schedule/index.ts';

function scheduleError(fn: () => unknown): NsError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof NsError, `expected NsError, got ${String(error)}`);
    assert.equal(error.code, 'NS_SCHEDULE_INVALID');
    return error;
  }
  assert.fail('expected an error');
}

const compile = (input: TimingInput) => compileTiming(input, 'schedules.nightly');

describe('cron validation messages', () => {
  test('hour 25, with an env variable as the field name', () => {
    const e = scheduleError(() => compileTiming({ cron: '0 25 * * *' }, 'ML_TRAINING_SCHEDULE', 'UTC', { cron: 'ML_TRAINING_SCHEDULE' }));
    assert.equal(e.message, 'ML_TRAINING_SCHEDULE="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"');
    assert.equal(e.field, 'ML_TRAINING_SCHEDULE');
  });

  test('hour 25, with the default dotted field name', () => {
    const e = scheduleError(() => compile({ cron: '0 25 * * *' }));
    assert.equal(e.message, 'schedules.nightly.cron="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"');
    assert.equal(e.field, 'schedules.nightly.cron');
  });

  test('each field is named', () => {
    assert.equal(validateCron('60 * * * *'), 'minute 60 is out of range 0-59');
    assert.equal(validateCron('0 0 32 * *'), 'day-of-month 32 is out of range 1-31');
    assert.equal(validateCron('0 0 * 13 *'), 'month 13 is out of range 1-12');
    assert.equal(validateCron('0 0 * * 8'), 'day-of-week 8 is out of range 0-7');
    assert.equal(validateCron('60 0 0 * * *'), 'second 60 is out of range 0-59');
    assert.match(validateCron('0 0 * FOO *')!, /^month "FOO" is not a number or a name \(JAN-DEC\)$/);
    assert.match(validateCron('*/0 * * * *')!, /^minute step "0"/);
    assert.match(validateCron('5-2 * * * *')!, /^minute range "5-2" goes backwards/);
    assert.match(validateCron('0 0 * * MON#6')!, /^day-of-week "MON#6": the number after # must be 1-5 or L$/);
    assert.match(validateCron('@fortnightly')!, /^unknown nickname "@fortnightly"/);
    assert.equal(validateCron(''), 'expression is empty');
    assert.match(validateCron('0 0 30 2 *')!, /never matches/);
  });

  test('wrong field count', () => {
    assert.equal(validateCron('1 2 3'), 'expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 3');
    assert.match(validateCron('0 0 0 1 1 * 2030')!, /got 7$/);
  });

  test("croner's own message covers what the field check lets through", () => {
    assert.equal(validateCron('0 0 L,LW * *'), "Syntax error, LW can not be in a list in day-of-month ('L,LW').");
  });

  test('valid: nicknames, 6 fields, names, L/W/#, lists, ranges, steps', () => {
    for (const expr of [
      '@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@DAILY',
      '0 0 2 * * *', '*/10 * * * * *', '0 2 * * *', '0 0 * JAN-MAR MON-FRI', '0 0 * * mon-sun',
      '0 0 L * *', '0 0 LW * *', '0 0 15W * *', '0 0 * * FRI#2', '0 0 * * 5#L', '0 0 * * 5L',
      '0 9-17/2 * * 1-5', '0,30 * * * *', '0 0 ? * 0', '0 0 1,15 * 1',
    ]) {
      assert.equal(validateCron(expr), null, expr);
      assert.equal(nextSlots(compile({ cron: expr }), Date.UTC(2025, 0, 1), 2).length, 2, expr);
    }
  });

  test('6-field crons run on seconds', () => {
    const t = compile({ cron: '*/10 * * * * *' });
    assert.deepEqual(nextSlots(t, Date.UTC(2025, 0, 1), 3), [10_000, 20_000, 30_000].map((s) => Date.UTC(2025, 0, 1) + s));
  });
});

describe('timing input errors', () => {
  test('unknown time zone', () => {
    const e = scheduleError(() => compile({ cron: '0 2 * * *', timezone: 'Mars/Olympus' }));
    assert.equal(e.message, 'schedules.nightly.timezone="Mars/Olympus": unknown IANA time zone; example "Europe/London"');
    assert.equal(e.field, 'schedules.nightly.timezone');
    assert.throws(() => assertTimeZone('Mars/Olympus', 'TZ'), /^NsError: TZ="Mars\/Olympus": unknown IANA time zone/);
    assert.equal(assertTimeZone('Europe/London', 'TZ'), 'Europe/London');
  });

  test('both cron and every', () => {
    const e = scheduleError(() => compile({ cron: '0 2 * * *', every: '6h' }));
    assert.match(e.message, /schedules\.nightly\.cron="0 2 \* \* \*" and schedules\.nightly\.every="6h": set exactly one of them, not both/);
  });

  test('neither cron nor every', () => {
    const e = scheduleError(() => compile({ timezone: 'UTC' }));
    assert.match(e.message, /schedules\.nightly\.cron \/ schedules\.nightly\.every: neither is set/);
  });

  test('bad duration "6x"', () => {
    const e = scheduleError(() => compile({ every: '6x' }));
    assert.match(e.message, /^schedules\.nightly\.every="6x": cannot read "6x"/);
    assert.match(e.message, /; example "6h"$/);
    assert.equal(e.field, 'schedules.nightly.every');
  });

  test('interval below one second', () => {
    const e = scheduleError(() => compile({ every: '500ms' }));
    assert.equal(e.message, 'schedules.nightly.every="500ms": must be at least 1s; example "6h"');
  });
});

describe('parseDuration', () => {
  test('accepted forms', () => {
    const cases: [string | number, number][] = [
      ['500ms', 500], ['90s', 90_000], ['30m', 1_800_000], ['6h', 21_600_000], ['1d', 86_400_000],
      ['1h30m', 5_400_000], ['1.5h', 5_400_000], ['1.1s', 1_100], [' 2m ', 120_000], [0, 0], [1234, 1234],
    ];
    for (const [input, ms] of cases) assert.equal(parseDuration(input, 'f'), ms, String(input));
  });

  test('rejected forms name the field and give an example', () => {
    for (const [input, reason] of [
      ['6x', 'cannot read "6x"'],
      ['30', 'has no unit'],
      ['', 'is empty'],
      ['30m1h', 'units must go from largest to smallest'],
      ['0.5ms', 'fraction of a millisecond'],
      [-5, 'non-negative'],
      [1.5, 'whole number'],
    ] as const) {
      const e = scheduleError(() => parseDuration(input, 'ML_INTERVAL'));
      assert.ok(e.message.startsWith(`ML_INTERVAL="${input}": `), e.message);
      assert.ok(e.message.includes(reason), e.message);
      assert.ok(e.message.endsWith('; example "6h"'), e.message);
    }
  });
});

describe('describeTiming', () => {
  test('common shapes in prose, the rest echoed', () => {
    const d = (input: TimingInput) => describeTiming(compile(input));
    assert.equal(d({ cron: '0 2 * * *', timezone: 'Europe/London' }), 'at 02:00 every day (Europe/London)');
    assert.equal(d({ cron: '0 * * * *' }), 'at minute 0 past every hour (UTC)');
    assert.equal(d({ every: '6h' }), 'every 6h');
    assert.equal(d({ every: '1h30m' }), 'every 1h30m');
    assert.equal(d({ cron: '0 3 * * 0', timezone: 'America/New_York' }), 'at 03:00 on Sunday (America/New_York)');
    assert.equal(d({ cron: '30 6 * * MON-FRI' }), 'at 06:30 on Monday through Friday (UTC)');
    assert.equal(d({ cron: '@daily' }), 'at 00:00 every day (UTC)');
    assert.equal(d({ cron: '@monthly' }), 'at 00:00 on day 1 of every month (UTC)');
    assert.equal(d({ cron: '*/15 * * * *' }), 'every 15 minutes (UTC)');
    assert.equal(d({ cron: '0 0 L * *', timezone: 'Asia/Tokyo' }), 'on cron "0 0 L * *" (Asia/Tokyo)');
  });
});
