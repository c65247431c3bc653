/**
 * Audit completeness: every mutating route the server registers (enumerated from Fastify, so a new
 * route without an entry here fails) writes exactly one audit entry per accepted request, naming
 * the caller, the tenant, and the request id the response carries. The one POST that changes
 * nothing (predict) is listed with its reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { routeSettings, VALID_REQUESTS, withQuery } from '../fixtures/api/route-requests.ts';
import { body, nightshiftRoutes, openTestApi, type TestApi } from '../helpers/api.ts';
import { artifactBytesOf, trainedGbdt } from '../unit/serving-fixtures.ts';
import type { AuditEntry } from '../../src/services/audit-service.ts';
import { insertAlerts } from '../../src/store/alerts.ts';

/** POST routes that change nothing, with the reason they are not audited. */
const READ_ONLY: Readonly<Record<string, string>> = {
  'POST /api/tenants/:tenantId/models/:model/predict': 'scores rows and changes nothing (a sample of predictions goes to the prediction log); auditing each would cost the predict throughput',
};

const M = '/api/tenants/acme/models/failure';

/** The app's world: routeSettings without its command training job, so the declared model is the tenant's one training model. */
function settings() {
  const base = routeSettings();
  return {
    jobs: base.jobs!.filter((j) => j.id !== 'train'),
    schedules: base.schedules!.filter((s) => s.jobId !== 'train'),
  };
}

describe('audit completeness', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi(settings());
  });
  after(() => t.close());

  const exercised = new Set<string>();

  async function auditCount(): Promise<number> {
    const row = await t.engine.db.k.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Sends the route's request, expects 2xx and exactly one new entry carrying the request id. */
  async function send(route: string, o: { url?: string; query?: Record<string, string>; body?: unknown; tenantId?: string | null } = {}): Promise<LightMyRequestResponse> {
    const [method, pattern] = route.split(' ') as [string, string];
    const valid = VALID_REQUESTS[route] ?? {};
    const url = withQuery(o.url ?? pattern, o.query ?? valid.query);
    const payload = o.body !== undefined ? o.body : valid.body;
    const before = await auditCount();
    const res = await t.app.inject({
      method: method as 'POST',
      url,
      ...(payload !== undefined ? { payload: payload as string, headers: { 'content-type': valid.contentType ?? 'application/json' } } : {}),
    });
    assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${route}: ${res.statusCode} ${res.body.slice(0, 400)}`);
    assert.equal((await auditCount()) - before, 1, `${route} writes exactly one audit entry`);
    const [entry] = (await t.engine.audit.list({ tenants: null, limit: 1 })).entries as [AuditEntry];
    assert.equal(entry.requestId, res.headers['x-request-id'], `${route}: the entry names the request`);
    assert.deepEqual([entry.subject, entry.keyId, entry.via], ['local', null, 'local'], `${route}: unauthenticated caller on loopback (auth off: the local principal)`);
    assert.equal(entry.tenantId, o.tenantId === undefined ? 'acme' : o.tenantId, `${route}: tenant`);
    assert.match(entry.action, /^[a-z]+\.[a-z-]+$/);
    exercised.add(route);
    return res;
  }

  /** Cancels the tenant's active training so that the next training route is not refused. */
  const cancelTraining = () => send('POST /api/training/cancel', { body: { organizationId: 'acme' } });

  test('every mutating request writes exactly one entry', { timeout: 120_000 }, async () => {
    await send('POST /api/tenants', { tenantId: 'initech' });
    await send('PUT /api/tenants/:id', { url: '/api/tenants/initech', tenantId: 'initech' });
    await send('DELETE /api/tenants/:id', { url: '/api/tenants/initech', tenantId: 'initech' });

    await send('PUT /api/tenants/:tenantId/datasets/:datasetId', { url: '/api/tenants/acme/datasets/readings' });
    await send('POST /api/tenants/:tenantId/datasets/:datasetId/samples', { url: '/api/tenants/acme/datasets/readings/samples' });
    await send('PUT /api/tenants/:tenantId/models/:model', { url: M });

    const triggered = await send('POST /api/jobs/:id/trigger', { url: '/api/jobs/quick/trigger', body: { tenantId: 'acme', mode: 'now' } });
    await send('POST /api/runs/:id/cancel', { url: `/api/runs/${body<{ runId: string }>(triggered).runId}/cancel` });

    await send('POST /api/schedules');
    await send('PUT /api/schedules/:id', { url: '/api/schedules/x1' });
    await send('POST /api/schedules/:id/disable', { url: '/api/schedules/x1/disable' });
    await send('POST /api/schedules/:id/enable', { url: '/api/schedules/x1/enable' });
    await send('DELETE /api/schedules/:id', { url: '/api/schedules/x1' });

    const key = body<{ key: { id: string } }>(await send('POST /api/keys', { body: { tenant: 'acme', role: 'viewer', name: 'ci' } })).key;
    await send('DELETE /api/keys/:id', { url: `/api/keys/${key.id}` });

    await send('POST /api/tenants/:tenantId/notification-channels', { url: '/api/tenants/acme/notification-channels' });
    await send('DELETE /api/tenants/:tenantId/notification-channels/:channelId', { url: '/api/tenants/acme/notification-channels/ops' });

    const now = Date.now();
    await insertAlerts(t.engine.db.k, [
      { id: 'al_audit', tenant_id: 'acme', model_name: 'failure', subject: '', type: 'STALE_MODEL', severity: 'warning', status: 'open', message: 'stale', value: 40, threshold: 30, opened_at: now, updated_at: now, acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolution: null },
    ]);
    await send('POST /api/alerts/:id/ack', { url: '/api/alerts/al_audit/ack' });

    const artifact = artifactBytesOf(await trainedGbdt('binary', 3));
    await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifact);
    await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifact);
    await send('POST /api/tenants/:tenantId/models/:model/promote', { url: `${M}/promote`, body: { version: 1 } });
    await send('POST /api/tenants/:tenantId/models/:model/promote', { url: `${M}/promote`, body: { version: 2 } });
    await send('POST /api/training/rollback', { body: { organizationId: 'acme', targetVersion: 1 } });
    await send('POST /api/tenants/:tenantId/models/:model/promote', { url: `${M}/promote`, body: { version: 2 } });
    await send('POST /api/tenants/:tenantId/models/:model/rollback', { url: `${M}/rollback` });

    await send('POST /api/tenants/:tenantId/models/:model/train', { url: `${M}/train`, body: { mode: 'full' } });
    await cancelTraining();
    await send('POST /api/training/train');
    await cancelTraining();
    await send('POST /api/predictions/train/schedule');
    await cancelTraining();
    await send('POST /api/v1/learn/trigger-retrain');
    await cancelTraining();
    await send('POST /api/tenants/:tenantId/models/:model/import', { url: `${M}/import` });
    await cancelTraining();

    await send('POST /api/training/schedule');
    await send('DELETE /api/training/schedule');
    await send('POST /api/analysis/trigger');

    const mutating = (await nightshiftRoutes(t.engine)).filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.url}`);
    const expected = mutating.filter((r) => !(r in READ_ONLY)).sort();
    assert.deepEqual([...exercised].sort(), expected, 'every mutating route is exercised (a new one needs its request here)');
    for (const route of Object.keys(READ_ONLY)) assert.ok(mutating.includes(route), `${route} is still a route`);
  });

  test('the champion history and the audit log name the same caller', async () => {
    const history = body<{ history: Array<{ actor: string; action: string }> }>(await t.app.inject({ method: 'GET', url: `${M}/champion/history` })).history;
    assert.ok(history.length >= 4);
    for (const h of history) assert.equal(h.actor, 'local', `${h.action}: the caller, not "api"`);
    const promotions = (await t.engine.audit.list({ tenants: ['acme'], action: 'model.promote', limit: 10 })).entries;
    assert.deepEqual(
      promotions.map((e) => [e.before, (e.after as { champion: number }).champion]),
      [
        [{ champion: 1 }, 2],
        [{ champion: 1 }, 2],
        [{ champion: null }, 1],
      ],
    );
  });
});
