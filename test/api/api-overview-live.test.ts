/**
 * GET /api/models/overview gives each model's live metric and trend with the page (the dashboard's
 * overview asks nothing per model), on both dialects: the champion's latest point, the trend of its
 * latest points with the monitor's function and options (the model's own trendTolerance), the same
 * trend the model's series route reports; other versions' points, other tenants' models of the same
 * name and models without a champion or points kept apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MONITOR_DEFAULTS } from '../../src/monitor/alert-thresholds.ts';
import { trendOf } from '../../src/monitor/trend.ts';
import { latestVersionPoints, upsertLivePoint } from '../../src/store/live-points.ts';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { fillFleet, FAILURE_MODEL } from '../fixtures/training/fleet.ts';
import { artifactBytes, newVersion } from '../fixtures/registry/registry-store.ts';

const { name: _name, ...MODEL_BODY } = FAILURE_MODEL;
const MINUTE = 60_000;

interface Live {
  metric: string;
  value: number;
  accuracy: number | null;
  labelled: number;
  version: number;
  at: string;
  trend: { trend: string; slope: number | null; change: number | null; points: number };
}
interface Page {
  models: Array<{ tenantId: string; model: string; live: Live | null }>;
  total: number;
}

async function declare(t: TestApi, tenantId: string, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await t.app.inject({ method: 'PUT', url: `/api/tenants/${tenantId}/models/${name}`, payload: { ...MODEL_BODY, ...extra } });
  assert.equal(res.statusCode, 201, res.body);
}

async function champion(t: TestApi, tenantId: string, name: string): Promise<number> {
  const v = await t.engine.models.registry.registerVersion(newVersion(tenantId, name), artifactBytes(name));
  await t.engine.models.promote(tenantId, name, v.version, { reason: 'test' });
  return v.version;
}

/** One point a minute apart per value, as the monitor records them. */
async function points(t: TestApi, tenantId: string, name: string, version: number, values: readonly number[], start: number): Promise<void> {
  for (const [i, value] of values.entries()) {
    await upsertLivePoint(t.engine.db.k, { tenant_id: tenantId, model_name: name, at: start + i * MINUTE, version, metric: 'auc', value, accuracy: 0.8, labelled: 100 + i, trend: 'stable', slope: null });
  }
}

for (const target of await storeTargets()) {
  describe(`overview: live metric and trend per model (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test("the champion's latest point and the monitor's trend of its latest points, one page, tenant by tenant", { timeout: 120_000 }, async () => {
      const t = await openTestApi({ target: await target.make() });
      try {
        for (const tenant of ['acme', 'globex']) await fillFleet(t.engine.db, tenant, { machines: 1, days: 1, endMs: t.clock.now() });
        const start = t.clock.now() - 60 * MINUTE;
        await declare(t, 'acme', 'alpha');
        await declare(t, 'acme', 'calm', { alerts: { trendTolerance: 0.5 } });
        await declare(t, 'acme', 'fresh');
        await declare(t, 'acme', 'plain');
        await declare(t, 'globex', 'alpha');

        // alpha: v2 (the champion) has two low points that fall out of the window, then ten falling
        // ones; v1 has the latest points, recorded while it served again (rolled back to, then v2 promoted back).
        const v1 = await champion(t, 'acme', 'alpha');
        const v2 = await champion(t, 'acme', 'alpha');
        const falling = [0.95, 0.94, 0.93, 0.92, 0.91, 0.9, 0.89, 0.88, 0.87, 0.86];
        await points(t, 'acme', 'alpha', v2, [0.2, 0.2, ...falling], start);
        await points(t, 'acme', 'alpha', v1, [0.5, 0.5, 0.5], start + 20 * MINUTE);
        // calm: the same fall, within its own tolerance.
        const calm = await champion(t, 'acme', 'calm');
        await points(t, 'acme', 'calm', calm, falling, start);
        // globex's alpha: rising, two points (too few for a trend).
        const g = await champion(t, 'globex', 'alpha');
        await points(t, 'globex', 'alpha', g, [0.7, 0.75], start);
        // fresh: a champion without labels yet; plain: no champion.
        await champion(t, 'acme', 'fresh');

        const all = body<Page>(await t.app.inject({ url: '/api/models/overview?limit=10' }));
        const live = new Map(all.models.map((m) => [`${m.tenantId}/${m.model}`, m.live]));
        assert.deepEqual([...live.keys()], ['acme/alpha', 'acme/calm', 'acme/fresh', 'acme/plain', 'globex/alpha']);

        const alpha = live.get('acme/alpha')!;
        assert.ok(alpha);
        assert.deepEqual([alpha.metric, alpha.value, alpha.version, alpha.labelled, alpha.at], ['auc', 0.86, v2, 111, new Date(start + 11 * MINUTE).toISOString()]);
        const expected = trendOf(falling, true, { points: MONITOR_DEFAULTS.trendPoints, minPoints: MONITOR_DEFAULTS.trendMinPoints, tolerance: MONITOR_DEFAULTS.trendTolerance });
        assert.equal(expected.trend, 'declining');
        assert.deepEqual(alpha.trend, { trend: expected.trend, slope: expected.slope, change: expected.change, points: 10 }, "v2's latest ten points only: not v1's, not the two that fell out of the window");
        // The model's series route, over the same points, reports the same trend.
        const series = body<{ live: { trend: Live['trend'] } }>(await t.app.inject({ url: '/api/tenants/acme/models/alpha/metrics?points=15' }));
        assert.deepEqual(series.live.trend, alpha.trend);
        // The store reads no more than the window of each model's version.
        const read = await latestVersionPoints(t.engine.db.k, [{ tenantId: 'acme', model: 'alpha', version: v2 }, { tenantId: 'globex', model: 'alpha', version: g }], 3);
        assert.deepEqual(read.map((r) => [r.tenant_id, r.value]), [['acme', 0.88], ['acme', 0.87], ['acme', 0.86], ['globex', 0.7], ['globex', 0.75]]);

        assert.equal(live.get('acme/calm')?.trend.trend, 'stable', "the model's trendTolerance, as the monitor reads it");
        assert.equal(live.get('acme/fresh'), null, 'a champion without a live point yet');
        assert.equal(live.get('acme/plain'), null, 'no champion');
        const globex = live.get('globex/alpha')!;
        assert.deepEqual([globex.value, globex.version, globex.trend.trend, globex.trend.points], [0.75, g, 'insufficient', 2], "globex's alpha reads its own points");

        const one = body<Page>(await t.app.inject({ url: '/api/models/overview?tenantId=globex' }));
        assert.deepEqual(one.models.map((m) => [m.tenantId, m.model, m.live?.value]), [['globex', 'alpha', 0.75]]);
        // A page of one past the first: its own row's live metric.
        const first = body<Page & { nextCursor: string }>(await t.app.inject({ url: '/api/models/overview?limit=1' }));
        const second = body<Page>(await t.app.inject({ url: `/api/models/overview?limit=1&cursor=${first.nextCursor}` }));
        assert.deepEqual(second.models.map((m) => [m.model, m.live?.trend.trend]), [['calm', 'stable']]);
      } finally {
        await t.close();
      }
    });
  });
}
