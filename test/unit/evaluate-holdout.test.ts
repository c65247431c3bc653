import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { randomHoldout, timeHoldout } from '../../src/trainers/holdout.ts';
import type { TrainingSet } from '../../src/trainers/types.ts';

/** y = row index, x = 10 × row index, so every split can be read back exactly. */
function rowsSet(n: number, ts?: number[]): TrainingSet {
  const ids = Float64Array.from({ length: n }, (_, i) => i);
  const set: TrainingSet = {
    features: [{ name: 'x', type: 'numeric' }],
    X: { rows: n, columns: [ids.map((i) => i * 10)] },
    y: ids,
  };
  if (ts) set.ts = Float64Array.from(ts);
  return set;
}
const ids = (s: TrainingSet) => Array.from(s.y);

describe('timeHoldout', () => {
  it('puts exactly the latest 20 % by timestamp in valid, ties broken by row index', () => {
    //            row: 0  1  2  3  4  5  6  7  8  9
    const ts = /**/ [5, 1, 8, 3, 9, 2, 7, 8, 4, 6];
    const { train, valid } = timeHoldout(rowsSet(10, ts));
    // chronological: 1(1) 5(2) 3(3) 8(4) 0(5) 9(6) 6(7) 2(8) 7(8) 4(9) — rows 2 and 7 tie at 8
    assert.deepEqual(ids(valid), [7, 4]);
    assert.deepEqual(ids(train), [1, 5, 3, 8, 0, 9, 6, 2]);
    assert.deepEqual(Array.from(valid.ts!), [8, 9]);
    assert.deepEqual(Array.from(valid.X.columns[0]!), [70, 40]);
    assert.equal(valid.X.rows, 2);
    assert.equal(train.X.rows, 8);
  });

  it('treats a missing timestamp as the oldest', () => {
    const { valid, train } = timeHoldout(rowsSet(5, [Number.NaN, 1, 2, 3, Number.NaN]), 0.4);
    assert.deepEqual(ids(valid), [2, 3]);
    assert.deepEqual(ids(train), [0, 4, 1]);
  });

  it('rows already in time order (ties included) split where they are, as views of the set (no copy)', () => {
    const set = rowsSet(10, [1, 2, 2, 3, 5, 5, 5, 8, 9, 9]);
    const { train, valid } = timeHoldout(set, 0.3);
    assert.deepEqual(ids(valid), [7, 8, 9]);
    assert.deepEqual(ids(train), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(valid.X.columns[0]!), [70, 80, 90]);
    assert.deepEqual(Array.from(train.ts!), [1, 2, 2, 3, 5, 5, 5]);
    for (const [part, from] of [[train, 0], [valid, 7]] as const) {
      assert.equal(part.X.columns[0]!.buffer, set.X.columns[0]!.buffer, 'the parts are views of the set\'s columns');
      assert.equal(part.X.columns[0]!.byteOffset, from * 8);
      assert.equal(part.y.buffer, set.y.buffer);
      assert.equal(part.ts!.buffer, set.ts!.buffer);
    }
  });

  it('takes the last rows when there are no timestamps', () => {
    const { train, valid } = timeHoldout(rowsSet(10));
    assert.deepEqual(ids(valid), [8, 9]);
    assert.deepEqual(ids(train), [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('rounds the size and keeps one row on each side', () => {
    assert.equal(timeHoldout(rowsSet(7)).valid.X.rows, 1); // round(1.4)
    assert.equal(timeHoldout(rowsSet(8)).valid.X.rows, 2); // round(1.6)
    assert.equal(timeHoldout(rowsSet(2), 0.1).valid.X.rows, 1);
    assert.equal(timeHoldout(rowsSet(3), 0.9).train.X.rows, 1);
    const single = timeHoldout(rowsSet(1));
    assert.deepEqual([single.train.X.rows, single.valid.X.rows], [1, 0]);
  });

  it('rejects a fraction outside (0, 1) and mismatched timestamps', () => {
    for (const f of [0, 1, -0.2, Number.NaN]) {
      assert.throws(() => timeHoldout(rowsSet(10), f), (e) => e instanceof NsError && e.field === 'holdoutFraction');
    }
    assert.throws(() => timeHoldout(rowsSet(3, [1, 2])), (e) => e instanceof NsError && e.field === 'ts');
  });
});

describe('randomHoldout', () => {
  it('is a deterministic partition by seed, keeping row order', () => {
    const set = rowsSet(50);
    const a = randomHoldout(set, 0.2, 42);
    const b = randomHoldout(set, 0.2, 42);
    assert.deepEqual(ids(a.valid), ids(b.valid));
    assert.equal(a.valid.X.rows, 10);
    assert.deepEqual([...ids(a.train), ...ids(a.valid)].sort((x, y) => x - y), ids(set));
    assert.deepEqual(ids(a.valid), [...ids(a.valid)].sort((x, y) => x - y));
    assert.notDeepEqual(ids(randomHoldout(set, 0.2, 43).valid), ids(a.valid));
    assert.notDeepEqual(ids(a.valid), [40, 41, 42, 43, 44, 45, 46, 47, 48, 49]);
  });
});
