/**
 * The alert and metric routes over a real engine and store: GET /api/alerts (filters, pages, tenant),
 * POST /api/alerts/:id/ack, a model's series and trends, seed 003's training metrics and the system
 * view; /health's last training and open alerts per model; /metrics' alert and model gauges.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { upsertLivePoint } from '../../src/store/live-points.ts';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { fillFleet, FAILURE_MODEL } from '../fixtures/training/fleet.ts';
import { artifactBytes, newVersion } from '../fixtures/registry/registry-store.ts';

const { name: _name, ...MODEL_BODY } = FAILURE_MODEL;
const MINUTE = 60_000;

interface AlertBody {
  id: string;
  tenantId: string;
  model: string | null;
  type: string;
  status: string;
  severity: string;
  openedAt: string;
  acknowledgedBy: string | null;
}

async function modelWithChampion(t: TestApi, name: string) {
  assert.equal((await t.app.inject({ method: 'PUT', url: `/api/tenants/acme/models/${name}`, payload: MODEL_BODY })).statusCode, 201);
  const v = await t.engine.models.registry.registerVersion(newVersion('acme', name, { metrics: { auc: 0.9, accuracy: 0.88 } }), artifactBytes(name));
  await t.engine.models.promote('acme', name, v.version, { reason: 'test' });
  return v.version;
}

async function point(t: TestApi, name: string, version: number, accuracy: number, value: number, trend = 'stable') {
  await upsertLivePoint(t.engine.db.k, { tenant_id: 'acme', model_name: name, at: t.clock.now(), version, metric: 'auc', value, accuracy, labelled: 200, trend, slope: trend === 'declining' ? -0.05 : 0 });
}

describe('alert and metric routes', () => {
  test('alerts: list with filters and pages, acknowledge, tenant scope; metrics, health and Prometheus gauges', { timeout: 120_000 }, async () => {
    const t = await openTestApi();
    try {
      await fillFleet(t.engine.db, 'acme', { machines: 2, days: 3, endMs: t.clock.now() });
      const a = await modelWithChampion(t, 'alpha');
      const b = await modelWithChampion(t, 'beta');
      await point(t, 'alpha', a, 0.9, 0.91);
      await point(t, 'beta', b, 0.9, 0.91);
      t.clock.advance(MINUTE);
      await point(t, 'alpha', a, 0.6, 0.7, 'declining');
      await point(t, 'beta', b, 0.7, 0.8);
      const pass = await t.engine.monitor.evaluate();
      assert.equal(pass.opened, 3, JSON.stringify(pass));

      const all = body<{ alerts: AlertBody[]; nextCursor: string | null }>(await t.app.inject({ url: '/api/alerts' }));
      assert.deepEqual(all.alerts.map((x) => [x.model, x.type, x.status]).sort(), [
        ['alpha', 'LOW_ACCURACY', 'open'],
        ['alpha', 'MODEL_DEGRADATION', 'open'],
        ['beta', 'LOW_ACCURACY', 'open'],
      ]);
      const low = body<{ alerts: AlertBody[] }>(await t.app.inject({ url: '/api/alerts?type=LOW_ACCURACY&model=beta&tenantId=acme' }));
      assert.deepEqual(low.alerts.map((x) => x.model), ['beta']);
      assert.equal(body<{ alerts: AlertBody[] }>(await t.app.inject({ url: '/api/alerts?tenantId=other' })).alerts.length, 0);

      // Pages of one: three pages, the same alerts, none twice.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { alerts: AlertBody[]; nextCursor: string | null } = body(await t.app.inject({ url: `/api/alerts?limit=1${cursor ? `&cursor=${cursor}` : ''}` }));
        seen.push(...page.alerts.map((x) => x.id));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual([...seen].sort(), all.alerts.map((x) => x.id).sort());

      const bad = await t.app.inject({ url: '/api/alerts?type=NOPE' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /type/);

      const target = low.alerts[0]!;
      const ack = await t.app.inject({ method: 'POST', url: `/api/alerts/${target.id}/ack`, payload: { by: 'alice' } });
      assert.equal(ack.statusCode, 200, ack.body);
      assert.deepEqual([body<AlertBody>(ack).status, body<AlertBody>(ack).acknowledgedBy], ['acknowledged', 'alice']);
      assert.equal((await t.app.inject({ method: 'POST', url: `/api/alerts/${target.id}/ack?tenantId=other` })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/alerts/alert_nope/ack' })).statusCode, 404);
      const active = body<{ alerts: AlertBody[] }>(await t.app.inject({ url: '/api/alerts?status=acknowledged' }));
      assert.deepEqual(active.alerts.map((x) => x.id), [target.id]);

      const series = body<{ live: { points: unknown[]; trend: { trend: string } }; versions: { points: Array<{ version: number }> }; openAlerts: string[]; championVersion: number }>(
        await t.app.inject({ url: '/api/tenants/acme/models/alpha/metrics' }),
      );
      assert.equal(series.championVersion, a);
      assert.equal(series.live.points.length, 2);
      assert.deepEqual(series.versions.points.map((v) => v.version), [a]);
      assert.deepEqual(series.openAlerts, ['LOW_ACCURACY', 'MODEL_DEGRADATION']);
      assert.equal((await t.app.inject({ url: '/api/tenants/acme/models/nope/metrics' })).statusCode, 404);

      const training = body<{ tenantId: string; models: Array<{ model: string; openAlerts: string[]; live: { accuracy: number } | null }> }>(await t.app.inject({ url: '/api/training/metrics?tenantId=acme' }));
      assert.equal(training.tenantId, 'acme');
      assert.deepEqual(training.models.map((m) => [m.model, m.openAlerts, m.live?.accuracy]), [
        ['alpha', ['LOW_ACCURACY', 'MODEL_DEGRADATION'], 0.6],
        ['beta', ['LOW_ACCURACY'], 0.7],
      ]);
      assert.equal((await t.app.inject({ url: '/api/training/metrics?tenantId=nope' })).statusCode, 404);

      const system = body<{ totals: { models: number }; alerts: { open: number; byType: Record<string, number> }; modelsWithOpenAlerts: Array<{ model: string }> }>(await t.app.inject({ url: '/api/training/system-metrics' }));
      assert.equal(system.alerts.open, 3);
      assert.deepEqual(system.alerts.byType, { LOW_ACCURACY: 2, MODEL_DEGRADATION: 1 });
      assert.deepEqual(system.modelsWithOpenAlerts.map((m) => m.model).sort(), ['alpha', 'beta']);

      const health = body<{ models: Array<{ model: string; openAlerts: string[]; lastTraining: unknown }> }>(await t.app.inject({ url: '/health' }));
      assert.deepEqual(health.models.map((m) => [m.model, m.openAlerts, m.lastTraining]), [
        ['alpha', ['LOW_ACCURACY', 'MODEL_DEGRADATION'], null],
        ['beta', ['LOW_ACCURACY'], null],
      ]);

      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      assert.match(metrics, /nightshift_alerts_open\{type="LOW_ACCURACY",severity="warning"\} 2/);
      assert.match(metrics, /nightshift_model_live_metric\{tenant="acme",model="alpha",metric="accuracy"\} 0\.6/);
      assert.match(metrics, /nightshift_model_champion_metric\{tenant="acme",model="beta",metric="auc"\} 0\.9/);

      // Recovery: beta's accuracy comes back; its (acknowledged) alert resolves, and the gauges follow.
      t.clock.advance(MINUTE);
      await point(t, 'beta', b, 0.92, 0.93);
      await t.engine.monitor.evaluate();
      const resolved = body<{ alerts: AlertBody[] }>(await t.app.inject({ url: '/api/alerts?status=resolved' }));
      assert.deepEqual(resolved.alerts.map((x) => x.id), [target.id]);
      assert.match((await t.app.inject({ url: '/metrics' })).body, /nightshift_alerts_open\{type="LOW_ACCURACY",severity="warning"\} 1/);
      const again = await t.app.inject({ method: 'POST', url: `/api/alerts/${target.id}/ack` });
      assert.equal(again.statusCode, 409);
    } finally {
      await t.close();
    }
  });
});
