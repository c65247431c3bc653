import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { auc, evaluate } from '../../src/trainers/evaluate.ts';
import { seededRandom } from '../../src/trainers/random.ts';

const close = (actual: number, expected: number, eps = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= eps, `expected ${expected}, got ${actual}`);

/** AUC by definition: P(score₊ > score₋) + ½·P(tie), over all positive/negative pairs. */
function pairAuc(y: number[], p: number[]): number {
  let wins = 0;
  let pairs = 0;
  y.forEach((yi, i) => {
    if (yi !== 1) return;
    y.forEach((yj, j) => {
      if (yj !== 0) return;
      pairs++;
      wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('evaluate: classification', () => {
  it('matches hand-computed metrics at the default threshold (0.5 counts as positive)', () => {
    const y = [1, 1, 0, 0, 1];
    const p = [0.9, 0.4, 0.6, 0.1, 0.5];
    const m = evaluate('binary', y, p);
    // TP = 2 (0.9, 0.5), FN = 1 (0.4), FP = 1 (0.6), TN = 1 (0.1)
    close(m.accuracy, 3 / 5);
    close(m.precision, 2 / 3);
    close(m.recall, 2 / 3);
    close(m.f1, 2 / 3);
    close(m.logloss, -(Math.log(0.9) + Math.log(0.4) + Math.log(0.4) + Math.log(0.9) + Math.log(0.5)) / 5);
    close(m.auc, 4 / 6);
    assert.equal(m.threshold, 0.5);
    assert.equal(m.rows, 5);
  });

  it('honours a custom threshold', () => {
    const m = evaluate('binary', [1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.5], { threshold: 0.7 });
    // only 0.9 is positive: TP 1, FP 0, FN 2, TN 2
    close(m.precision, 1);
    close(m.recall, 1 / 3);
    close(m.f1, 0.5);
    close(m.accuracy, 3 / 5);
    assert.equal(m.threshold, 0.7);
  });

  it('computes AUC exactly with tied scores averaged', () => {
    close(auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
    // pos {0.5, 0.9} vs neg {0.5, 0.2}: ½ + 1 + 1 + 1 over 4 pairs
    close(auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]), 0.875);
    close(auc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]), 0.5);
    close(auc([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]), 0);
  });

  it('agrees with the pairwise definition on random data full of ties', () => {
    const random = seededRandom(7);
    for (let round = 0; round < 20; round++) {
      const y = Array.from({ length: 60 }, () => (random() < 0.4 ? 1 : 0));
      const p = y.map((yi) => Math.round((random() + 0.3 * yi) * 5) / 5);
      if (!y.includes(0) || !y.includes(1)) continue;
      close(auc(y, p), pairAuc(y, p), 1e-12);
    }
  });

  it('gives bit for bit the rank sum of the comparator sort (ties, −0 and 0, infinities, labels other than 0/1)', () => {
    /** auc as it was computed before the sorted fast path: row indexes sorted with a comparator. */
    const comparatorAuc = (yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number => {
      const n = yTrue.length;
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => yPred[a]! - yPred[b]! || a - b);
      let positives = 0;
      let rankSum = 0;
      for (let start = 0; start < n; ) {
        let end = start + 1;
        while (end < n && yPred[order[end]!] === yPred[order[start]!]) end++;
        for (let k = start; k < end; k++) {
          if (yTrue[order[k]!] === 1) {
            positives++;
            rankSum += (start + 1 + end) / 2;
          }
        }
        start = end;
      }
      const negatives = n - positives;
      return positives === 0 || negatives === 0 ? 0.5 : (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
    };
    const random = seededRandom(11);
    for (const n of [0, 1, 2, 7, 100, 5_000, 60_000]) {
      const y = Float64Array.from({ length: n }, () => (random() < 0.3 ? 1 : random() < 0.02 ? 2 : 0));
      const p = Float64Array.from({ length: n }, (_, i) => {
        const r = random();
        return r < 0.05 ? -0 : r < 0.1 ? 0 : r < 0.12 ? Infinity : r < 0.14 ? -Infinity : Math.round(random() * (i % 2 ? 50 : 1e6)) / 1e3;
      });
      assert.ok(Object.is(auc(y, p), comparatorAuc(y, p)), `n = ${n}`);
      assert.ok(Object.is(auc([...y], [...p]), comparatorAuc(y, p)), `n = ${n}, plain arrays`);
    }
    const withNaN = [0.3, Number.NaN, 0.1, 0.7];
    assert.ok(Object.is(auc([1, 0, 0, 1], withNaN), comparatorAuc([1, 0, 0, 1], withNaN)), 'a NaN score keeps the comparator order');
  });

  it('defines AUC 0.5 and precision/recall/F1 0 when only one class is present', () => {
    const allZero = evaluate('binary', [0, 0, 0], [0.2, 0.7, 0.1]);
    assert.equal(allZero.auc, 0.5);
    assert.equal(allZero.recall, 0); // no positives
    assert.equal(allZero.precision, 0); // TP 0, FP 1
    assert.equal(allZero.f1, 0);
    close(allZero.accuracy, 2 / 3);

    const allOne = evaluate('binary', [1, 1], [0.2, 0.3]);
    assert.equal(allOne.auc, 0.5);
    assert.equal(allOne.precision, 0); // nothing predicted positive
    assert.equal(allOne.recall, 0);
    assert.equal(allOne.f1, 0);
    assert.equal(allOne.accuracy, 0);

    const perfectOnes = evaluate('binary', [1, 1], [0.9, 0.8]);
    assert.equal(perfectOnes.precision, 1);
    assert.equal(perfectOnes.recall, 1);
    assert.equal(perfectOnes.f1, 1);
  });

  it('clips probabilities at 1e-15 for the log loss', () => {
    close(evaluate('binary', [1], [0]).logloss, -Math.log(1e-15), 1e-9);
    close(evaluate('binary', [0], [1]).logloss, -Math.log(1e-15), 1e-3);
    assert.equal(evaluate('binary', [1, 0], [1, 0]).logloss < 1e-14, true);
  });

  it('returns zeros (AUC 0.5) for no rows', () => {
    assert.deepEqual(evaluate('binary', [], []), {
      auc: 0.5, logloss: 0, accuracy: 0, precision: 0, recall: 0, f1: 0, threshold: 0.5, rows: 0,
    });
  });

  it('is deterministic and does not modify its inputs', () => {
    const y = new Float64Array([1, 0, 1, 0, 0]);
    const p = new Float64Array([0.3, 0.3, 0.8, 0.1, 0.6]);
    const before = Float64Array.from(p);
    assert.deepEqual(evaluate('binary', y, p), evaluate('binary', y, p));
    assert.deepEqual(p, before);
  });

  it('rejects bad input with NS_VALIDATION', () => {
    const code = (e: unknown) => e instanceof NsError && e.code === 'NS_VALIDATION';
    assert.throws(() => evaluate('binary', [1, 0], [0.5]), code);
    assert.throws(() => evaluate('binary', [2], [0.5]), (e) => code(e) && (e as NsError).field === 'yTrue');
    assert.throws(() => evaluate('binary', [1], [Number.NaN]), (e) => code(e) && (e as NsError).field === 'yPred');
    assert.throws(() => evaluate('binary', [1], [0.4], { threshold: Number.NaN }), code);
  });
});

describe('evaluate: regression', () => {
  it('matches hand-computed R², MAE and RMSE', () => {
    // errors −0.5, 0, 0.5, −1; SS_res 1.5; mean 2.5, SS_tot 5
    const m = evaluate('regression', [1, 2, 3, 4], [1.5, 2, 2.5, 5]);
    close(m.mae, 0.5);
    close(m.rmse, Math.sqrt(1.5 / 4));
    close(m.r2, 0.7);
    assert.equal(m.rows, 4);
  });

  it('gives R² = 1 for a perfect fit and can go negative', () => {
    assert.equal(evaluate('regression', [1, 2, 3], [1, 2, 3]).r2, 1);
    // predicting 10 everywhere: SS_res = 81 + 64 + 49 = 194, SS_tot = 2
    close(evaluate('regression', [1, 2, 3], [10, 10, 10]).r2, 1 - 194 / 2);
  });

  it('defines R² for a constant target: 1 when exact, 0 otherwise', () => {
    assert.equal(evaluate('regression', [3, 3, 3], [3, 3, 3]).r2, 1);
    assert.equal(evaluate('regression', [3, 3, 3], [3, 4, 3]).r2, 0);
    assert.equal(evaluate('regression', [7], [5]).r2, 0);
  });

  it('returns zeros for no rows', () => {
    assert.deepEqual(evaluate('regression', [], []), { r2: 0, mae: 0, rmse: 0, rows: 0 });
  });
});
