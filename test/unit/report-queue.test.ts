/** Reports wait while claims are being made, keep their order, are bounded in delay, and survive a failing one. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReportQueue } from '../../src/store/report-queue.ts';

describe('report queue', () => {
  test('made at once when nothing holds the queue', () => {
    const made: number[] = [];
    const q = new ReportQueue(() => assert.fail('no error expected'));
    q.report(() => made.push(1));
    assert.deepEqual(made, [1]);
  });

  test('held reports wait for release and are made in order; after it, reports are made at once', () => {
    const made: string[] = [];
    const q = new ReportQueue(() => assert.fail('no error expected'), 60_000);
    q.hold();
    q.report(() => made.push('slot decided'));
    q.report(() => made.push('run started'));
    assert.equal(made.length, 0, 'nothing made while held');
    q.release();
    assert.deepEqual(made, ['slot decided', 'run started']);
    q.report(() => made.push('run finished'));
    assert.deepEqual(made, ['slot decided', 'run started', 'run finished']);
  });

  test('a report never waits longer than the bound while the queue stays held', async () => {
    const q = new ReportQueue(() => assert.fail('no error expected'), 5);
    q.hold();
    const held = Date.now();
    const madeAt = await new Promise<number>((resolve) => q.report(() => resolve(Date.now())));
    assert.ok(madeAt - held >= 4, `made after ${madeAt - held} ms, not before the bound`);
    // Still held after the bounded flush: the next report waits again.
    let second = false;
    q.report(() => (second = true));
    assert.equal(second, false);
    q.release();
    assert.equal(second, true);
  });

  test('a failing report goes to onError and the ones after it are still made', () => {
    const errors: unknown[] = [];
    const made: number[] = [];
    const q = new ReportQueue((error) => errors.push(error));
    q.hold();
    q.report(() => made.push(1));
    q.report(() => {
      throw new Error('listener failed');
    });
    q.report(() => made.push(3));
    q.release();
    assert.deepEqual(made, [1, 3]);
    assert.equal((errors[0] as Error).message, 'listener failed');
    q.report(() => {
      throw new Error('again');
    });
    assert.equal(errors.length, 2, 'an immediate report fails the same way, without throwing to its caller');
  });
});
