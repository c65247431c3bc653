/**
 * Every alert type on a fake clock, on SQLite and PostgreSQL: it opens when its condition holds,
 * stays one alert while it keeps holding (dedup), resolves by itself when the condition clears, and
 * does not open again within the cooldown (only after it). Also: the unique partial index refuses a
 * second active alert of a key written past the service, acknowledging, and thresholds per model.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isNsError } from '../../src/errors.ts';
import type { AlertEventPayload } from '../../src/events.ts';
import type { AlertType } from '../../src/monitor/alert-rules.ts';
import { insertAlerts } from '../../src/store/alerts.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { addRun, declareModel, driftAssessment, endRun, livePoint, newChampion, openMonitorStore, T, type MonitorStore } from '../fixtures/monitor/monitor-store.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const COOLDOWN = 30 * MINUTE;

function recordEvents(s: MonitorStore) {
  const seen: Array<{ event: string; alert: AlertEventPayload }> = [];
  for (const event of ['alert:opened', 'alert:acknowledged', 'alert:resolved'] as const) s.events.on(event, ({ alert }) => seen.push({ event, alert }));
  return seen;
}

const active = async (s: MonitorStore, type: AlertType) => s.monitor.list(ALL_TENANTS, { status: 'active', type }, { limit: 100 });

/**
 * The lifecycle every type must show. `raise` makes the condition hold, `clear` makes it clear;
 * both may move the clock a little, never past the cooldown.
 */
async function lifecycle(s: MonitorStore, type: AlertType, raise: () => Promise<void>, clear: () => Promise<void>, model: string | null = 'm') {
  const seen = recordEvents(s);
  const opened = () => seen.filter((e) => e.event === 'alert:opened' && e.alert.type === type);
  const resolved = () => seen.filter((e) => e.event === 'alert:resolved' && e.alert.type === type);
  const pass = async () => {
    await s.monitor.idle();
    await s.monitor.evaluate();
  };

  assert.equal((await active(s, type)).length, 0, `${type}: none before`);
  await raise();
  await pass();
  const [first] = await active(s, type);
  assert.ok(first, `${type}: opens`);
  assert.equal(first.status, 'open');
  assert.equal(first.model, model);
  assert.equal(first.tenantId, T);
  assert.match(first.message, /\S/);
  assert.equal(opened().length, 1, `${type}: one alert:opened event`);

  await pass();
  await pass();
  assert.equal((await active(s, type)).length, 1, `${type}: still one alert (dedup)`);
  assert.equal(opened().length, 1, `${type}: no second alert:opened`);

  s.clock.advance(MINUTE);
  await clear();
  await pass();
  assert.equal((await active(s, type)).length, 0, `${type}: resolved by itself once its condition cleared`);
  assert.equal(resolved().length, 1, `${type}: one alert:resolved event`);
  const after = await s.monitor.get(ALL_TENANTS, first.id);
  assert.equal(after.status, 'resolved');
  assert.equal(after.resolution, 'cleared');
  assert.equal(after.resolvedAt, s.clock.now());

  s.clock.advance(MINUTE);
  await raise();
  await pass();
  assert.equal((await active(s, type)).length, 0, `${type}: not reopened within the cooldown`);
  assert.equal(opened().length, 1);

  s.clock.advance(COOLDOWN);
  await pass();
  const again = await active(s, type);
  assert.equal(again.length, 1, `${type}: reopened after the cooldown`);
  assert.notEqual(again[0]!.id, first.id, 'a new alert');
  assert.equal(opened().length, 2);
}

for (const target of await storeTargets()) {
  describe(`alerts on ${target.name}`, { skip: target.skip }, () => {
    const withStore = async (fn: (s: MonitorStore) => Promise<void>, settings = {}) => {
      const s = await openMonitorStore(await target.make(), settings);
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    test('LOW_ACCURACY: live accuracy of the champion below 0.75', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        const v = await newChampion(s, 'm');
        await lifecycle(
          s,
          'LOW_ACCURACY',
          () => livePoint(s, 'm', v, { accuracy: 0.6 }),
          () => livePoint(s, 'm', v, { accuracy: 0.9 }),
        );
        const [alert] = await active(s, 'LOW_ACCURACY');
        assert.equal(alert!.value, 0.6);
        assert.equal(alert!.threshold, 0.75);
      }));

    test('MODEL_DEGRADATION: the live trend of the champion declines', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        const v = await newChampion(s, 'm');
        await lifecycle(
          s,
          'MODEL_DEGRADATION',
          () => livePoint(s, 'm', v, { trend: 'declining', slope: -0.05 }),
          () => livePoint(s, 'm', v, { trend: 'stable', slope: 0 }),
        );
      }));

    test('TRAINING_FAILURE: more than 30% of the trainings of the last 24 h failed', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        await lifecycle(
          s,
          'TRAINING_FAILURE',
          async () => {
            // 6 of 7 failed (then 12 of 34); the last succeeded, so no streak (REPEATED_FAILURES stays out of it).
            for (let i = 0; i < 6; i += 1) await addRun(s, 'm', 'failed');
            await addRun(s, 'm', 'succeeded');
          },
          async () => {
            // 6 of 27: 22%.
            for (let i = 0; i < 20; i += 1) await addRun(s, 'm', 'succeeded');
          },
        );
        const [alert] = await active(s, 'TRAINING_FAILURE');
        assert.equal(alert!.threshold, 0.3);
        // Out of the window, the failures no longer count.
        s.clock.advance(DAY + MINUTE);
        await s.monitor.evaluate();
        assert.equal((await active(s, 'TRAINING_FAILURE')).length, 0, 'the failures left the window: resolved');
      }));

    test('REPEATED_FAILURES: three failed trainings in a row', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        await addRun(s, 'm', 'succeeded');
        await lifecycle(
          s,
          'REPEATED_FAILURES',
          async () => {
            for (let i = 0; i < 3; i += 1) await addRun(s, 'm', 'failed');
          },
          async () => {
            await addRun(s, 'm', 'succeeded');
          },
        );
        const [alert] = await active(s, 'REPEATED_FAILURES');
        assert.equal(alert!.severity, 'critical');
        assert.equal(alert!.value, 3);
      }));

    test('STUCK_JOB: a training running past 2 h, or losing its worker twice', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        let running = '';
        await lifecycle(
          s,
          'STUCK_JOB',
          async () => {
            running = await addRun(s, 'm', 'running', { startedAt: s.clock.now() - 2 * HOUR - MINUTE });
          },
          () => endRun(s, running, 'succeeded'),
        );
        await endRun(s, running, 'succeeded');
        s.clock.advance(COOLDOWN);
        await s.monitor.evaluate();
        assert.equal((await active(s, 'STUCK_JOB')).length, 0);
        s.clock.advance(COOLDOWN);
        await addRun(s, 'm', 'queued', { recoveries: 2 });
        await s.monitor.evaluate();
        const [lost] = await active(s, 'STUCK_JOB');
        assert.match(lost!.message, /lost its worker 2 time/);
      }));

    test("DATA_DRIFT: the latest assessment's drift rule says retrain about the champion", () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        const v = await newChampion(s, 'm');
        await lifecycle(
          s,
          'DATA_DRIFT',
          () => driftAssessment(s, 'm', v, 'retrain'),
          () => driftAssessment(s, 'm', v, 'ok'),
        );
        // A new champion trained on the recent data clears it, whatever the last assessment said.
        s.clock.advance(MINUTE);
        await newChampion(s, 'm');
        await s.monitor.evaluate();
        assert.equal((await active(s, 'DATA_DRIFT')).length, 0);
      }));

    test('STALE_MODEL: the champion is older than 30 days', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        const old = await newChampion(s, 'm');
        s.clock.advance(31 * DAY);
        await lifecycle(
          s,
          'STALE_MODEL',
          async () => {
            await s.registry.promote(T, 'm', old, { reason: 'back to the old one', actor: 'test' });
          },
          async () => {
            await newChampion(s, 'm');
          },
        );
      }));

    test('NOTIFICATION_FAILING: raised and resolved by the notification events, about the tenant', () =>
      withStore(async (s) => {
        s.monitor.start();
        await s.monitor.idle();
        await lifecycle(
          s,
          'NOTIFICATION_FAILING',
          async () => {
            s.events.emit('notification:failing', { tenantId: T, channel: 'ops-webhook', failures: 5, lastError: 'HTTP 503' });
            await s.monitor.idle();
          },
          async () => {
            s.events.emit('notification:recovered', { tenantId: T, channel: 'ops-webhook' });
            await s.monitor.idle();
          },
          null,
        );
        const [alert] = await active(s, 'NOTIFICATION_FAILING');
        assert.equal(alert!.subject, 'ops-webhook');
        assert.match(alert!.message, /HTTP 503/);
      }));

    test('one active alert per (tenant, model, type) is enforced by the store itself', () =>
      withStore(async (s) => {
        const row = (id: string) => ({
          id,
          tenant_id: T,
          model_name: 'm',
          subject: '',
          type: 'LOW_ACCURACY',
          severity: 'warning',
          status: 'open',
          message: 'x',
          value: null,
          threshold: null,
          opened_at: s.clock.now(),
          updated_at: s.clock.now(),
          acknowledged_at: null,
          acknowledged_by: null,
          resolved_at: null,
          resolution: null,
        });
        assert.equal((await insertAlerts(s.db.k, [row('a1')])).length, 1);
        assert.equal((await insertAlerts(s.db.k, [row('a2')])).length, 0, 'a second active alert of the key is not inserted');
        await s.db.k.updateTable('alerts').set({ status: 'acknowledged' }).where('id', '=', 'a1').execute();
        assert.equal((await insertAlerts(s.db.k, [row('a3')])).length, 0, 'acknowledged is still active');
        await s.db.k.updateTable('alerts').set({ status: 'resolved', resolved_at: s.clock.now() }).where('id', '=', 'a1').execute();
        assert.equal((await insertAlerts(s.db.k, [row('a4')])).length, 1, 'once resolved, a new one may open');
        // Two passes racing (two nodes): one alert.
        await declareModel(s, 'n');
        const v = await newChampion(s, 'n');
        await livePoint(s, 'n', v, { accuracy: 0.5 });
        const results = await Promise.all([s.monitor.evaluate(), s.monitor.evaluate(), s.monitor.evaluate()]);
        assert.equal(results.reduce((a, r) => a + r.opened, 0), 1);
      }));

    test('acknowledge: open → acknowledged (still active, no duplicate) → resolved when it clears; a resolved alert cannot be acknowledged', () =>
      withStore(async (s) => {
        const seen = recordEvents(s);
        await declareModel(s, 'm');
        const v = await newChampion(s, 'm');
        await livePoint(s, 'm', v, { accuracy: 0.5 });
        await s.monitor.evaluate();
        const [alert] = await active(s, 'LOW_ACCURACY');
        const acked = await s.monitor.acknowledge(T, alert!.id, 'alice');
        assert.equal(acked.status, 'acknowledged');
        assert.equal(acked.acknowledgedBy, 'alice');
        assert.equal(seen.filter((e) => e.event === 'alert:acknowledged').length, 1);
        await assert.rejects(s.monitor.acknowledge('other_tenant', alert!.id, 'bob'), (e: unknown) => isNsError(e) && e.code === 'NS_NOT_FOUND');
        await s.monitor.evaluate();
        assert.equal((await active(s, 'LOW_ACCURACY')).length, 1);
        s.clock.advance(MINUTE);
        await livePoint(s, 'm', v, { accuracy: 0.95 });
        await s.monitor.evaluate();
        assert.equal((await s.monitor.get(T, alert!.id)).status, 'resolved');
        await assert.rejects(s.monitor.acknowledge(T, alert!.id, 'alice'), (e: unknown) => isNsError(e) && e.code === 'NS_CONFLICT' && /resolved already/.test(e.message));
      }));

    test("a model's own thresholds override the global ones", () =>
      withStore(async (s) => {
        await declareModel(s, 'lenient', { alerts: { accuracyThreshold: 0.5, repeatedFailures: 5 } });
        await declareModel(s, 'strict');
        for (const m of ['lenient', 'strict']) {
          const v = await newChampion(s, m);
          await livePoint(s, m, v, { accuracy: 0.6 });
        }
        await s.monitor.evaluate();
        const low = await active(s, 'LOW_ACCURACY');
        assert.deepEqual(low.map((a) => a.model), ['strict']);
      }));

    test('alerts of a model that is no longer declared are resolved', () =>
      withStore(async (s) => {
        await declareModel(s, 'm');
        const v = await newChampion(s, 'm');
        await livePoint(s, 'm', v, { accuracy: 0.5 });
        await s.monitor.evaluate();
        assert.equal((await active(s, 'LOW_ACCURACY')).length, 1);
        await s.db.k.deleteFrom('model_definitions').where('name', '=', 'm').execute();
        await s.monitor.evaluate();
        assert.equal((await active(s, 'LOW_ACCURACY')).length, 0);
      }));
  });
}
