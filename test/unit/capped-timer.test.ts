import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cappedTimeout, MAX_TIMER_MS } from '../../src/timers.ts';

test('a long timeout is chained in steps of at most 30 s and fires once at the end', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const armed: number[] = [];
  const original = globalThis.setTimeout;
  let fired = 0;
  // Observe each step's delay through the mocked setTimeout.
  t.mock.method(globalThis, 'setTimeout', (fn: () => void, ms: number) => {
    armed.push(ms);
    return original(fn, ms);
  });
  let now = 0;
  t.mock.method(performance, 'now', () => now);
  cappedTimeout(() => fired++, 75_000);
  for (const step of [30_000, 30_000, 15_000]) {
    now += step;
    t.mock.timers.tick(step);
  }
  assert.equal(fired, 1);
  assert.deepEqual(armed, [30_000, 30_000, 15_000]);
  assert.ok(armed.every((ms) => ms <= MAX_TIMER_MS), 'no single timer longer than 30 s');
});

test('clear() stops a chained timer', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 0;
  t.mock.method(performance, 'now', () => now);
  let fired = 0;
  const timer = cappedTimeout(() => fired++, 45_000);
  now += 30_000;
  t.mock.timers.tick(30_000);
  timer.clear();
  now += 30_000;
  t.mock.timers.tick(30_000);
  assert.equal(fired, 0, 'cleared before its end');
});
