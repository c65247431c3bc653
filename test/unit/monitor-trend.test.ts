/** Theil–Sen trend, the alert thresholds a model declares, and the monitor's env variables. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { isNsError } from '../../src/errors.ts';
import { MONITOR_DEFAULTS, parseModelAlerts, thresholdsFor } from '../../src/monitor/alert-thresholds.ts';
import { theilSen, trendOf } from '../../src/monitor/trend.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';

describe('trend', () => {
  test('Theil–Sen: the median pairwise slope, not pulled by one outlier', () => {
    assert.equal(theilSen([1, 2, 3, 4]), 1);
    assert.equal(theilSen([0.9, 0.9, 0.9, 0.1, 0.9]), 0, 'one bad point: a least-squares line would fall');
    assert.equal(theilSen([5]), null);
  });

  test('improving, stable, declining with a tolerance on the change across the window; direction-aware', () => {
    assert.equal(trendOf([0.9, 0.88, 0.85, 0.8], true).trend, 'declining');
    assert.equal(trendOf([0.9, 0.9, 0.905, 0.9], true).trend, 'stable');
    assert.equal(trendOf([0.7, 0.75, 0.8], true).trend, 'improving');
    assert.equal(trendOf([0.3, 0.35, 0.4], false).trend, 'declining', 'an error metric that rises declines');
    assert.equal(trendOf([0.9, 0.5], true).trend, 'insufficient');
    const r = trendOf([0.9, 0.89, 0.88], true, { points: 10, minPoints: 3, tolerance: 0.05 });
    assert.equal(r.trend, 'stable', 'a change of 0.02 within a 0.05 tolerance');
    assert.ok(Math.abs(r.change! + 0.02) < 1e-12);
    assert.equal(trendOf([0.1, 0.2, 0.9, 0.9, 0.9, 0.9], true, { points: 4, minPoints: 3, tolerance: 0.02 }).trend, 'stable', 'only the last points');
  });
});

describe('alert thresholds', () => {
  test("a model's alerts: override the global ones field by field; errors name the field and an example", () => {
    const t = thresholdsFor(MONITOR_DEFAULTS, 'binary', { accuracyThreshold: 0.8, stuckAfterMinutes: 30 }, null);
    assert.deepEqual(t, { accuracy: 0.8, failureRate: 0.3, repeatedFailures: 3, stuckAfterMs: 1_800_000, staleDays: 30, trendTolerance: 0.02 });
    assert.equal(thresholdsFor(MONITOR_DEFAULTS, 'regression', undefined, 7).accuracy, null, 'no accuracy default for regression');
    assert.equal(thresholdsFor(MONITOR_DEFAULTS, 'regression', undefined, 7).staleDays, 7, "the retrain policy's maxDaysSinceTraining");
    assert.throws(() => parseModelAlerts({ repeatedFailures: 0 }, 'models[0].alerts'), (e: unknown) => isNsError(e) && /models\[0\]\.alerts\.repeatedFailures: must be a whole number from 1 to 1000, got 0; example 3/.test(e.message));
    assert.throws(() => parseModelAlerts({ accuracy: 0.5 }, 'alerts'), /alerts\.accuracy: unknown property; allowed: accuracyThreshold/);
    const def = parseModelDefinition({ task: 'binary', dataset: 'd', features: { continuous: ['x'] }, alerts: { staleDays: 7 } }, '', 'm');
    assert.deepEqual(def.alerts, { staleDays: 7 });
    assert.equal(parseModelDefinition({ task: 'binary', dataset: 'd', features: { continuous: ['x'] } }, '', 'm').alerts, undefined, 'absent: the stored form is unchanged');
  });

  test('TRAINING_MONITOR_INTERVAL (minutes), ACCURACY_THRESHOLD, FAILURE_RATE_THRESHOLD and the rest from the env', () => {
    const s = loadSettings({ env: { TRAINING_MONITOR_INTERVAL: '5', ACCURACY_THRESHOLD: '0.8', FAILURE_RATE_THRESHOLD: '0.5', NIGHTSHIFT_STUCK_JOB_AFTER: '3h', NIGHTSHIFT_ALERT_COOLDOWN: '10m', NIGHTSHIFT_STALE_MODEL_DAYS: '14' }, cwd: '/tmp' });
    assert.deepEqual(
      [s.monitor.intervalMs, s.monitor.accuracyThreshold, s.monitor.failureRateThreshold, s.monitor.stuckAfterMs, s.monitor.cooldownMs, s.monitor.staleDays],
      [300_000, 0.8, 0.5, 10_800_000, 600_000, 14],
    );
    assert.equal(loadSettings({ env: {}, cwd: '/tmp' }).monitor.intervalMs, 900_000, 'default 15 minutes');
    assert.throws(() => loadSettings({ env: { ACCURACY_THRESHOLD: '75' }, cwd: '/tmp' }), /ACCURACY_THRESHOLD.*75.*must be a number from 0 to 1/);
  });
});

describe('config file', () => {
  test('monitor: sets the global thresholds; an unknown key names the ones allowed', async () => {
    const { parseConfig } = await import('../../src/config/config-file.ts');
    const c = parseConfig({ monitor: { interval: '5m', accuracyThreshold: 0.8, failureWindow: '12h', cooldown: '1h', repeatedFailures: 4 } }, 'nightshift.yaml');
    assert.deepEqual(c.patch.monitor, { intervalMs: 300_000, accuracyThreshold: 0.8, failureWindowMs: 43_200_000, cooldownMs: 3_600_000, repeatedFailures: 4 });
    assert.throws(() => parseConfig({ monitor: { intervall: '5m' } }, 'nightshift.yaml'), /monitor\.intervall.*interval/s);
  });
});
