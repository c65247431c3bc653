import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyGate, type GateConfig, type GateMetric, type Metrics } from '../../src/training/gate.ts';

// Bounds, champions and tolerances are dyadic fractions (0.875, 0.125, 0.21875, …) so every limit
// below is exact in binary floating point and "at the bound" really is at the bound.

const thresholdsOnly = (thresholds: GateConfig['thresholds']): GateConfig => ({ thresholds, change: null });
const changeOnly = (metric: GateMetric, maxDecrease: number | null, maxRelativeDecrease: number | null): GateConfig => ({
  thresholds: {},
  change: { metric, maxDecrease, maxRelativeDecrease },
});
const champion = (version: number, metrics: Metrics) => ({ version, metrics });

describe('gate: absolute thresholds', () => {
  const AUC_MIN = thresholdsOnly({ auc: 0.75 });
  const RMSE_MAX = thresholdsOnly({ rmse: 2.5 });

  for (const [value, passed] of [[0.75, true], [0.8125, true], [0.7499, false]] as const) {
    it(`auc ${value} against minimum 0.75 → ${passed ? 'pass' : 'fail'}`, () => {
      const r = applyGate(AUC_MIN, { auc: value }, null);
      assert.equal(r.passed, passed);
      assert.deepEqual(r.reasons, [{ check: 'threshold', metric: 'auc', value, bound: 0.75, direction: 'min', passed }]);
      assert.equal(r.summary, passed ? 'passed 1 threshold(s)' : `auc ${value} < minimum 0.75`);
    });
  }

  for (const [value, passed] of [[2.5, true], [2, true], [2.501, false]] as const) {
    it(`rmse ${value} against maximum 2.5 → ${passed ? 'pass' : 'fail'}`, () => {
      const r = applyGate(RMSE_MAX, { rmse: value }, null);
      assert.equal(r.passed, passed);
      assert.deepEqual(r.reasons, [{ check: 'threshold', metric: 'rmse', value, bound: 2.5, direction: 'max', passed }]);
      assert.equal(r.summary, passed ? 'passed 1 threshold(s)' : `rmse ${value} > maximum 2.5`);
    });
  }

  it('treats logloss and mae as error metrics (maximum) and f1/accuracy/precision/recall/r2 as minimums', () => {
    const r = applyGate(
      thresholdsOnly({ logloss: 0.5, mae: 1, f1: 0.5, accuracy: 0.5, precision: 0.5, recall: 0.5, r2: 0.5 }),
      { logloss: 0.25, mae: 0.5, f1: 0.75, accuracy: 0.75, precision: 0.75, recall: 0.75, r2: 0.75 },
      null,
    );
    assert.deepEqual(
      r.reasons.map((x) => x.check === 'threshold' && [x.metric, x.direction, x.passed]),
      [
        ['logloss', 'max', true], ['mae', 'max', true], ['f1', 'min', true], ['accuracy', 'min', true],
        ['precision', 'min', true], ['recall', 'min', true], ['r2', 'min', true],
      ],
    );
    assert.equal(r.summary, 'passed 7 threshold(s)');
  });

  it('seed 002: R² ≥ 0.7 and F1 ≥ 0.65 — passes when both hold', () => {
    const r = applyGate(thresholdsOnly({ r2: 0.7, f1: 0.65 }), { r2: 0.7, f1: 0.65 }, null);
    assert.equal(r.passed, true);
    assert.equal(r.summary, 'passed 2 threshold(s)');
  });

  it('seed 002: R² ≥ 0.7 and F1 ≥ 0.65 — names only the failing metric', () => {
    const r = applyGate(thresholdsOnly({ r2: 0.7, f1: 0.65 }), { r2: 0.72, f1: 0.6 }, null);
    assert.equal(r.passed, false);
    assert.deepEqual(r.reasons, [
      { check: 'threshold', metric: 'r2', value: 0.72, bound: 0.7, direction: 'min', passed: true },
      { check: 'threshold', metric: 'f1', value: 0.6, bound: 0.65, direction: 'min', passed: false },
    ]);
    assert.equal(r.summary, 'f1 0.6 < minimum 0.65');
  });

  it('seed 002: both failing are joined with "; " in declaration order', () => {
    const r = applyGate(thresholdsOnly({ r2: 0.7, f1: 0.65 }), { r2: 0.69, f1: 0.6 }, null);
    assert.equal(r.summary, 'r2 0.69 < minimum 0.7; f1 0.6 < minimum 0.65');
  });

  it('seed 003: accuracy ≥ 0.75', () => {
    assert.equal(applyGate(thresholdsOnly({ accuracy: 0.75 }), { accuracy: 0.75 }, null).passed, true);
    const r = applyGate(thresholdsOnly({ accuracy: 0.75 }), { accuracy: 0.74 }, null);
    assert.equal(r.passed, false);
    assert.equal(r.summary, 'accuracy 0.74 < minimum 0.75');
  });

  it('rounds long numbers in the summary but keeps them exact in reasons', () => {
    const r = applyGate(thresholdsOnly({ auc: 0.7 }), { auc: 0.6912345 }, null);
    assert.equal(r.summary, 'auc 0.6912 < minimum 0.7');
    assert.equal(r.reasons[0]?.check === 'threshold' && r.reasons[0].value, 0.6912345);
  });
});

describe('gate: a candidate metric that cannot be measured fails its check', () => {
  for (const [name, metrics] of [
    ['null', { auc: null }],
    ['NaN', { auc: Number.NaN }],
    ['Infinity', { auc: Number.POSITIVE_INFINITY }],
    ['missing', {}],
  ] as const) {
    it(`threshold: candidate auc ${name}`, () => {
      const r = applyGate(thresholdsOnly({ auc: 0.5 }), metrics, null);
      assert.equal(r.passed, false);
      assert.deepEqual(r.reasons, [{ check: 'threshold', metric: 'auc', value: null, bound: 0.5, direction: 'min', passed: false }]);
      assert.equal(r.summary, 'auc undefined < minimum 0.5');
    });

    it(`change: candidate auc ${name} against a measured champion`, () => {
      const r = applyGate(changeOnly('auc', 0.125, null), metrics, champion(3, { auc: 0.875 }));
      assert.equal(r.passed, false);
      assert.deepEqual(r.reasons, [
        { check: 'change', metric: 'auc', candidate: null, champion: 0.875, championVersion: 3, maxDecrease: 0.125, maxRelativeDecrease: null, limit: 0.75, passed: false },
      ]);
      assert.equal(r.summary, 'auc is undefined on the holdout, so it cannot be compared with champion v3');
    });
  }

  it('an error metric (rmse) that is NaN fails its maximum too', () => {
    const r = applyGate(thresholdsOnly({ rmse: 1e9 }), { rmse: Number.NaN }, null);
    assert.equal(r.passed, false);
    assert.equal(r.summary, 'rmse undefined > maximum 1000000000');
  });
});

describe('gate: change against the champion, higher is better (auc)', () => {
  const CHAMP = champion(3, { auc: 0.875 });

  /** [case, maxDecrease, maxRelativeDecrease, the limit computed by hand]. */
  const LIMITS: ReadonlyArray<readonly [string, number | null, number | null, number]> = [
    ['maxDecrease only: 0.875 − 0.125', 0.125, null, 0.75],
    ['maxRelativeDecrease only: 0.875 − 0.875 × 0.25', null, 0.25, 0.65625],
    ['both, absolute tighter: max(0.875 − 0.125, 0.875 − 0.21875)', 0.125, 0.25, 0.75],
    ['both, relative tighter: max(0.875 − 0.25, 0.875 − 0.109375)', 0.25, 0.125, 0.765625],
    ['neither: no decrease at all', null, null, 0.875],
  ];

  for (const [name, maxDecrease, maxRelativeDecrease, limit] of LIMITS) {
    it(`${name} = ${limit}: passes at the limit, fails just below`, () => {
      const config = changeOnly('auc', maxDecrease, maxRelativeDecrease);
      const at = applyGate(config, { auc: limit }, CHAMP);
      assert.deepEqual(at.reasons, [
        { check: 'change', metric: 'auc', candidate: limit, champion: 0.875, championVersion: 3, maxDecrease, maxRelativeDecrease, limit, passed: true },
      ]);
      assert.equal(at.passed, true);
      assert.equal(at.summary, 'passed 0 threshold(s) and not worse than champion v3');

      const below = applyGate(config, { auc: limit - 0.001 }, CHAMP);
      assert.equal(below.passed, false);
      assert.equal(below.reasons[0]?.check === 'change' && below.reasons[0].limit, limit);
    });
  }

  it('both tolerances: a candidate inside the looser (relative) limit but outside the absolute one fails', () => {
    const r = applyGate(changeOnly('auc', 0.125, 0.25), { auc: 0.7 }, CHAMP);
    assert.equal(r.passed, false);
    assert.equal(r.summary, "auc 0.7 is worse than champion v3's 0.875 beyond the tolerance (limit 0.75)");
  });

  it('both tolerances: a candidate inside the looser (absolute) limit but outside the relative one fails', () => {
    const r = applyGate(changeOnly('auc', 0.25, 0.125), { auc: 0.75 }, CHAMP);
    assert.equal(r.passed, false);
    assert.equal(r.summary, "auc 0.75 is worse than champion v3's 0.875 beyond the tolerance (limit 0.7656)");
  });

  it('a better candidate passes', () => {
    assert.equal(applyGate(changeOnly('auc', null, null), { auc: 0.9 }, CHAMP).passed, true);
  });

  it('uses |champion| for the relative tolerance of a negative metric (r2 −0.5 × 0.5 → limit −0.75)', () => {
    const r = applyGate(changeOnly('r2', null, 0.5), { r2: -0.75 }, champion(1, { r2: -0.5 }));
    assert.equal(r.passed, true);
    assert.equal(r.reasons[0]?.check === 'change' && r.reasons[0].limit, -0.75);
    assert.equal(applyGate(changeOnly('r2', null, 0.5), { r2: -0.76 }, champion(1, { r2: -0.5 })).passed, false);
  });
});

describe('gate: change against the champion, lower is better (logloss, rmse)', () => {
  const LOGLOSS: ReadonlyArray<readonly [string, number | null, number | null, number]> = [
    ['maxDecrease only: 0.5 + 0.125', 0.125, null, 0.625],
    ['maxRelativeDecrease only: 0.5 + 0.5 × 0.5', null, 0.5, 0.75],
    ['both, absolute tighter: min(0.5 + 0.125, 0.5 + 0.25)', 0.125, 0.5, 0.625],
    ['both, relative tighter: min(0.5 + 0.5, 0.5 + 0.0625)', 0.5, 0.125, 0.5625],
    ['neither: no increase at all', null, null, 0.5],
  ];

  for (const [name, maxDecrease, maxRelativeDecrease, limit] of LOGLOSS) {
    it(`logloss ${name} = ${limit}: passes at the limit, fails just above`, () => {
      const config = changeOnly('logloss', maxDecrease, maxRelativeDecrease);
      const at = applyGate(config, { logloss: limit }, champion(7, { logloss: 0.5 }));
      assert.deepEqual(at.reasons, [
        { check: 'change', metric: 'logloss', candidate: limit, champion: 0.5, championVersion: 7, maxDecrease, maxRelativeDecrease, limit, passed: true },
      ]);
      assert.equal(at.passed, true);
      const above = applyGate(config, { logloss: limit + 0.001 }, champion(7, { logloss: 0.5 }));
      assert.equal(above.passed, false);
      assert.equal(above.reasons[0]?.check === 'change' && above.reasons[0].limit, limit);
    });
  }

  it('rmse: both tolerances, the tighter wins (min(8 + 1, 8 + 8 × 0.25) = 9)', () => {
    const r = applyGate(changeOnly('rmse', 1, 0.25), { rmse: 9.5 }, champion(2, { rmse: 8 }));
    assert.equal(r.passed, false);
    assert.deepEqual(r.reasons, [
      { check: 'change', metric: 'rmse', candidate: 9.5, champion: 8, championVersion: 2, maxDecrease: 1, maxRelativeDecrease: 0.25, limit: 9, passed: false },
    ]);
    assert.equal(r.summary, "rmse 9.5 is worse than champion v2's 8 beyond the tolerance (limit 9)");
    assert.equal(applyGate(changeOnly('rmse', 1, 0.25), { rmse: 9 }, champion(2, { rmse: 8 })).passed, true);
  });

  it('a lower (better) error passes', () => {
    assert.equal(applyGate(changeOnly('rmse', null, null), { rmse: 7 }, champion(2, { rmse: 8 })).passed, true);
  });
});

describe('gate: first model and unmeasurable champion', () => {
  const CONFIG: GateConfig = { thresholds: { auc: 0.75 }, change: { metric: 'auc', maxDecrease: 0.02, maxRelativeDecrease: null } };

  it('a first model (no champion) faces only the thresholds', () => {
    const r = applyGate(CONFIG, { auc: 0.8 }, null);
    assert.equal(r.passed, true);
    assert.deepEqual(r.reasons, [{ check: 'threshold', metric: 'auc', value: 0.8, bound: 0.75, direction: 'min', passed: true }]);
    assert.equal(r.summary, 'passed 1 threshold(s)');
  });

  it('a first model with no thresholds passes with "no checks configured"', () => {
    const r = applyGate(changeOnly('auc', 0.02, null), { auc: 0.1 }, null);
    assert.deepEqual(r, { passed: true, reasons: [], summary: 'no checks configured' });
  });

  it('no change config: the champion is ignored', () => {
    const r = applyGate(thresholdsOnly({ auc: 0.5 }), { auc: 0.6 }, champion(4, { auc: 0.99 }));
    assert.equal(r.passed, true);
    assert.equal(r.reasons.length, 1);
    assert.equal(r.summary, 'passed 1 threshold(s)');
  });

  it('a champion whose metric is null: the change check passes when the candidate is defined', () => {
    const r = applyGate(CONFIG, { auc: 0.8 }, champion(2, { auc: null }));
    assert.equal(r.passed, true);
    assert.deepEqual(r.reasons[1], {
      check: 'change', metric: 'auc', candidate: 0.8, champion: null, championVersion: 2, maxDecrease: 0.02, maxRelativeDecrease: null, limit: null, passed: true,
    });
    assert.equal(r.summary, 'passed 1 threshold(s)', 'nothing was compared, so nothing is claimed');
  });

  it('a champion whose metric is NaN or missing counts as null', () => {
    for (const metrics of [{ auc: Number.NaN }, {}]) {
      const r = applyGate(changeOnly('auc', 0, null), { auc: 0.1 }, champion(2, metrics));
      assert.equal(r.passed, true);
      assert.equal(r.reasons[0]?.check === 'change' && r.reasons[0].champion, null);
    }
  });

  it('a champion whose metric is null and a candidate whose metric is null: the change check fails', () => {
    const r = applyGate(changeOnly('auc', 0.02, null), { auc: null }, champion(2, { auc: null }));
    assert.equal(r.passed, false);
    assert.deepEqual(r.reasons, [
      { check: 'change', metric: 'auc', candidate: null, champion: null, championVersion: 2, maxDecrease: 0.02, maxRelativeDecrease: null, limit: null, passed: false },
    ]);
    assert.equal(r.summary, 'auc is undefined on the holdout, so it cannot be compared with champion v2');
  });

  it('a threshold failure and a change failure are both reported, thresholds first', () => {
    const r = applyGate(
      { thresholds: { auc: 0.75, logloss: 0.5 }, change: { metric: 'auc', maxDecrease: 0.125, maxRelativeDecrease: null } },
      { auc: 0.625, logloss: 0.25 },
      champion(9, { auc: 0.875 }),
    );
    assert.equal(r.passed, false);
    assert.deepEqual(r.reasons.map((x) => x.passed), [false, true, false]);
    assert.equal(r.summary, "auc 0.625 < minimum 0.75; auc 0.625 is worse than champion v9's 0.875 beyond the tolerance (limit 0.75)");
  });
});
