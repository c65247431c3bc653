/** Outbox pacing: full speed while the API is idle, a floor rate while it is busy (delivery-pace.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiLoadGauge, apiLoadOf, BURST, BUSY_UTILIZATION, DeliveryPace, PACED_PER_SECOND, sharedLoadBuffer } from '../../src/monitor/notify/delivery-pace.ts';

/** A pace on a fake monotonic clock: sleeps advance it, and are recorded. */
function fakePace(perSecond: number) {
  let now = 0;
  let busy = false;
  const slept: number[] = [];
  const pace = new DeliveryPace({
    load: { busy: () => busy },
    perSecond,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return { pace, slept, setBusy: (b: boolean) => (busy = b), advance: (ms: number) => (now += ms) };
}

test('while the API is idle, every delivery starts at once', () => {
  const f = fakePace(1_000);
  for (let i = 0; i < 1_000; i++) assert.equal(f.pace.next(), null);
});

test('while the API is busy, deliveries after a short burst are spaced at the floor rate', async () => {
  const f = fakePace(1_000);
  f.setBusy(true);
  let immediate = 0;
  while (f.pace.next() === null) immediate++;
  assert.equal(immediate, BURST, 'a short burst may start together');
  // Turns are reserved in call order: the waits grow by 1 ms (1,000/s) per call.
  for (let i = 0; i < 4; i++) await f.pace.next();
  assert.deepEqual(f.slept.map((ms) => Math.round(ms * 1000) / 1000), [1, 2, 3, 4, 5]);
  // 100 ms later the debt (5 turns) is paid and the bucket refilled up to its burst, no further.
  f.advance(100);
  immediate = 0;
  while (f.pace.next() === null) immediate++;
  assert.equal(immediate, BURST);
});

test('over a busy second, no more than the floor rate (plus the burst) start', async () => {
  const f = fakePace(1_500);
  f.setBusy(true);
  let started = 0;
  let t = 0;
  while (t < 1_000) {
    const turn = f.pace.next();
    if (turn) {
      await turn;
      const ms = f.slept.at(-1)!;
      f.advance(ms);
      t += ms;
      f.slept.length = 0;
    }
    if (t < 1_000) started++;
  }
  assert.ok(started >= 1_500 && started <= 1_500 + BURST, `${started} started in a busy second`);
});

test('when the API is idle again, delivery is back to full speed at once', () => {
  const f = fakePace(1_000);
  f.setBusy(true);
  while (f.pace.next() === null);
  f.setBusy(false);
  for (let i = 0; i < 100; i++) assert.equal(f.pace.next(), null);
});

test('the default floor keeps the promise (≥ 1,000/s) with a margin, and stays near it', () => {
  assert.ok(PACED_PER_SECOND >= 1_100, `${PACED_PER_SECOND}/s leaves no margin over 1,000/s`);
  assert.ok(PACED_PER_SECOND <= 1_300, `${PACED_PER_SECOND}/s: every delivery over the promise costs the busy API`);
});

test('the floor rate must be positive, named in the error', () => {
  assert.throws(() => new DeliveryPace({ load: { busy: () => false }, perSecond: 0 }), /perSecond must be a positive number/);
});

test('the delivery thread reads the utilization the API thread wrote; a stopped gauge reads idle', () => {
  const buffer = sharedLoadBuffer();
  const load = apiLoadOf(buffer);
  const cell = new Int32Array(buffer);
  Atomics.store(cell, 0, Math.round(BUSY_UTILIZATION * 1000) - 1);
  assert.equal(load.busy(), false);
  Atomics.store(cell, 0, Math.round(BUSY_UTILIZATION * 1000));
  assert.equal(load.busy(), true);
  const gauge = new ApiLoadGauge(buffer);
  gauge.start();
  gauge.stop();
  assert.equal(load.busy(), false);
});
