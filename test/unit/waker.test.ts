/** The Waker: a wake is never lost, whether it comes during a wait or between two. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Waker } from '../../src/lifecycle.ts';

const settlesAt = async (p: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

test('a wake during a wait ends it', async () => {
  const w = new Waker();
  const waiting = w.wait(60_000);
  w.wake();
  assert.equal(await settlesAt(waiting, 1_000), true);
});

test('a wake while nobody waits makes the next wait return at once (the worker loop was claiming then)', async () => {
  const w = new Waker();
  w.wake();
  assert.equal(await settlesAt(w.wait(60_000), 1_000), true);
  // Consumed: the wait after that waits again.
  assert.equal(await settlesAt(w.wait(60_000), 50), false);
  w.wake();
});

test('a wait that times out leaves nothing pending', async () => {
  const w = new Waker();
  await w.wait(1);
  assert.equal(await settlesAt(w.wait(60_000), 50), false);
  w.wake();
});
