/**
 * Each retrain rule just below, at and just above its threshold, `any` and `all`, a model without a
 * champion, a forced run, and a policy without rules. Time is a parameter (a fake clock's now).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assess, type Evidence } from '../../src/policy/assess.ts';
import { parseRetrainPolicy } from '../../src/policy/retrain-policy.ts';
import type { DatasetDrift } from '../../src/policy/drift.ts';
import { CLASSIFICATION_METRICS, REGRESSION_METRICS } from '../../src/training/gate.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T02:00:00Z');
const champion = { version: 3, trainedUntil: NOW - 10 * DAY, createdAt: NOW - 10 * DAY };
const evidence = (o: Partial<Evidence> = {}): Evidence => ({ now: NOW, champion, newSamples: 0, live: null, drift: null, force: false, ...o });
const policy = (raw: unknown, metrics = CLASSIFICATION_METRICS, primary: 'auc' | 'r2' = 'auc') => parseRetrainPolicy(raw, 'retrain', metrics, primary);
const drift = (share: number, rows = 1000): DatasetDrift => ({ rows, driftedShare: share, drifted: share >= 0.5, columns: [{ column: 'temperature', kind: 'numeric', rows, psi: share, ks: null, drifted: share >= 0.5, by: share >= 0.5 ? ['psi'] : [] }] });

describe('retrain rules', () => {
  test('minNewSamples: 49 no, 50 yes, 51 yes', () => {
    const p = policy({ minNewSamples: 50 });
    assert.deepEqual([49, 50, 51].map((n) => assess(p, evidence({ newSamples: n })).train), [false, true, true]);
    const a = assess(p, evidence({ newSamples: 49 }));
    assert.equal(a.reason, 'no_training_needed');
    assert.deepEqual(a.rules[0], { rule: 'minNewSamples', value: 49, threshold: 50, verdict: 'ok', detail: "49 labelled sample(s) since the champion's window" });
    assert.equal(assess(p, evidence({ newSamples: null })).rules[0]!.verdict, 'not_evaluated');
  });

  test('maxDaysSinceTraining: trained 7 days ago minus a minute no, exactly 7 no, 7 days and a minute yes', () => {
    const p = policy({ maxDaysSinceTraining: 7 });
    const at = (ms: number) => assess(p, evidence({ champion: { ...champion, createdAt: NOW - ms } })).train;
    assert.deepEqual([at(7 * DAY - 60_000), at(7 * DAY), at(7 * DAY + 60_000)], [false, false, true]);
  });

  test('minLiveMetric: a floor of a higher-is-better metric, a ceiling of an error metric, and minRows first', () => {
    const r2 = policy({ minLiveMetric: { min: 0.7, minRows: 30 } }, REGRESSION_METRICS, 'r2');
    const live = (value: number, rows = 40) => assess(r2, evidence({ live: { metric: 'r2', value, rows } }));
    assert.deepEqual([0.69, 0.7, 0.71].map((v) => live(v).train), [true, false, false]);
    assert.equal(live(0.1, 29).rules[0]!.verdict, 'not_evaluated', '29 labelled rows: too few to fire');
    assert.equal(live(0.1, 30).train, true, '30 rows: enough');
    const mae = policy({ minLiveMetric: { metric: 'mae', min: 2 } }, REGRESSION_METRICS, 'r2');
    assert.deepEqual([1.9, 2, 2.1].map((v) => assess(mae, evidence({ live: { metric: 'mae', value: v, rows: 100 } })).train), [false, false, true], 'an error metric above its bound retrains');
  });

  test('drift: the dataset share at 0.5 retrains; below does not; too few recent rows is not evaluated', () => {
    const p = policy({ drift: true });
    assert.deepEqual([0.49, 0.5, 0.51].map((s) => assess(p, evidence({ drift: drift(s) })).train), [false, true, true]);
    const few = assess(p, evidence({ drift: drift(1, 99) }));
    assert.equal(few.rules[0]!.verdict, 'not_evaluated');
    assert.equal(few.train, false);
  });

  test('any trains when one rule fires; all only when every rule does', () => {
    const rules = { minNewSamples: 50, maxDaysSinceTraining: 30 };
    const one = evidence({ newSamples: 60 });
    const both = evidence({ newSamples: 60, champion: { ...champion, createdAt: NOW - 31 * DAY } });
    assert.equal(assess(policy({ ...rules, combine: 'any' }), one).train, true);
    assert.equal(assess(policy({ ...rules, combine: 'all' }), one).train, false);
    assert.equal(assess(policy({ ...rules, combine: 'all' }), both).train, true);
    assert.equal(assess(policy({ ...rules, combine: 'any' }), evidence({ newSamples: 10 })).train, false);
  });

  test('no champion always trains; a forced run trains; no rules trains', () => {
    const p = policy({ minNewSamples: 1000 });
    assert.equal(assess(p, evidence({ champion: null })).reason, 'no_champion');
    assert.equal(assess(p, evidence({ force: true })).reason, 'forced');
    assert.equal(assess(policy(undefined), evidence()).reason, 'no_policy');
  });

  test('the policy names a bad field and its fix', () => {
    assert.throws(() => policy({ minNewSamples: 0 }), { code: 'NS_VALIDATION', field: 'retrain.minNewSamples' });
    assert.throws(() => policy({ combine: 'either' }), { code: 'NS_VALIDATION', field: 'retrain.combine' });
    assert.throws(() => policy({ minLiveMetric: { metric: 'r2', min: 0.5 } }), /retrain.minLiveMetric.metric: must be one of auc/);
    assert.throws(() => policy({ drift: { psi: -1 } }), { field: 'retrain.drift.psi' });
    assert.throws(() => policy({ sometimes: true }), { field: 'retrain.sometimes' });
    assert.equal(policy({ minNewSamples: 5 }).onIngest, true, 'a count rule triggers on ingest by default');
    assert.equal(policy({ maxDaysSinceTraining: 5 }).onIngest, false);
  });
});
