/**
 * The audit log on both dialects: append-only (the store's triggers refuse UPDATE and DELETE, and
 * TRUNCATE on PostgreSQL), entries kept when their tenant is deleted, filters and pages of
 * GET /api/audit, a caller limited to some tenants seeing theirs only, the real subject in the
 * champion history, and trainings and alerts recorded as the system's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import Fastify from 'fastify';
import type { Principal } from '../../src/auth/principal.ts';
import { nightshiftPlugin } from '../../src/api/plugin.ts';
import type { RunRow } from '../../src/store/runs.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { routeSettings } from '../fixtures/api/route-requests.ts';
import { body, openTestApi } from '../helpers/api.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { artifactBytesOf, trainedGbdt } from '../unit/serving-fixtures.ts';

interface Page {
  entries: Array<{ id: string; tenantId: string | null; subject: string; keyId: string | null; via: string; action: string; target: string; after: Record<string, unknown> | null; requestId: string | null; at: string }>;
  nextCursor: string | null;
}

for (const target of await storeTargets()) {
  describe(`audit log (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('append-only: UPDATE and DELETE are refused by the store itself; entries outlive their tenant', async () => {
      const t = await openTestApi({ target: await target.make(), ...routeSettings() });
      try {
        const created = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech' } });
        assert.equal(created.statusCode, 201, created.body);
        const k = t.engine.db.k;
        await assert.rejects(sql`UPDATE audit_log SET subject = 'someone else'`.execute(k), /audit_log is append-only: UPDATE refused/);
        await assert.rejects(sql`DELETE FROM audit_log`.execute(k), /audit_log is append-only: DELETE refused/);
        if (target.name === 'postgres') await assert.rejects(sql`TRUNCATE audit_log`.execute(k), /audit_log is append-only: TRUNCATE refused/);
        const deleted = await t.app.inject({ method: 'DELETE', url: '/api/tenants/initech' });
        assert.ok(deleted.statusCode < 300, deleted.body);
        const page = body<Page>(await t.app.inject({ method: 'GET', url: '/api/audit?tenantId=initech' }));
        assert.deepEqual(page.entries.map((e) => e.action), ['tenant.delete', 'tenant.create']);
      } finally {
        await t.close();
      }
    });

    test('filters, pages, and a caller limited to its tenants; the champion history names the real subject', { timeout: 60_000 }, async () => {
      const t = await openTestApi({ target: await target.make(), ...routeSettings() });
      // A caller put on the request after authentication (off here: the local principal), before the tenant checks and handlers.
      const host = Fastify();
      let principal: Principal | undefined;
      host.addHook('preValidation', async (request) => {
        if (principal) request.principal = principal;
      });
      await host.register(nightshiftPlugin, { services: t.engine });
      await host.ready();
      try {
        principal = { subject: 'alice@acme', keyId: null, role: 'admin', tenants: ['acme'], via: 'jwt' };
        for (const name of ['a', 'b', 'c']) {
          const res = await host.inject({ method: 'PUT', url: `/api/schedules/s-${name}`, payload: { tenantId: 'acme', jobId: 'quick', every: '6h' } });
          assert.ok(res.statusCode < 300, res.body);
        }
        principal = { subject: 'key:k_123', keyId: 'k_123', role: 'admin', tenants: ['globex'], via: 'api-key' };
        const g = await host.inject({ method: 'PUT', url: '/api/schedules/s-g', payload: { tenantId: 'globex', jobId: 'quick', every: '6h' } });
        assert.ok(g.statusCode < 300, g.body);

        principal = { subject: 'root', keyId: null, role: 'super_admin', tenants: '*', via: 'jwt' };
        const all = body<Page>(await host.inject({ method: 'GET', url: '/api/audit?action=schedule.upsert' }));
        assert.deepEqual(all.entries.map((e) => [e.target, e.subject, e.keyId, e.via]), [
          ['schedule/s-g', 'key:k_123', 'k_123', 'api-key'],
          ['schedule/s-c', 'alice@acme', null, 'jwt'],
          ['schedule/s-b', 'alice@acme', null, 'jwt'],
          ['schedule/s-a', 'alice@acme', null, 'jwt'],
        ]);
        const first = body<Page>(await host.inject({ method: 'GET', url: '/api/audit?action=schedule.&limit=3' }));
        assert.equal(first.entries.length, 3);
        const second = body<Page>(await host.inject({ method: 'GET', url: `/api/audit?action=schedule.&limit=3&cursor=${first.nextCursor}` }));
        assert.deepEqual(second.entries.map((e) => e.target), ['schedule/s-a']);
        assert.equal(second.nextCursor, null);
        assert.deepEqual(body<Page>(await host.inject({ method: 'GET', url: '/api/audit?subject=alice%40acme&target=schedule%2Fs-b' })).entries.map((e) => e.target), ['schedule/s-b']);
        const future = body<Page>(await host.inject({ method: 'GET', url: '/api/audit?from=2030-01-01T00:00:00Z' }));
        assert.deepEqual(future.entries, []);
        const bad = await host.inject({ method: 'GET', url: '/api/audit?cursor=nope' });
        assert.equal(bad.statusCode, 400);
        assert.equal(body<{ error: { field: string } }>(bad).error.field, 'cursor');

        principal = { subject: 'alice@acme', keyId: null, role: 'admin', tenants: ['acme'], via: 'jwt' };
        const mine = body<Page>(await host.inject({ method: 'GET', url: '/api/audit' }));
        assert.ok(mine.entries.length >= 3);
        assert.ok(mine.entries.every((e) => e.tenantId === 'acme'), 'only the caller’s tenant');
        // Another tenant answers as a missing one does (the access table's tenant check).
        assert.equal((await host.inject({ method: 'GET', url: '/api/audit?tenantId=globex' })).statusCode, 404);

        // The champion history records who promoted, and the audit entry matches it.
        const dataset = await host.inject({ method: 'PUT', url: '/api/tenants/acme/datasets/readings', payload: { entityKey: 'machine', timestamp: 'ts', features: [{ name: 'temp', type: 'numeric' }], label: { name: 'failed', type: 'binary' } } });
        assert.ok(dataset.statusCode < 300, dataset.body);
        const model = await host.inject({ method: 'PUT', url: '/api/tenants/acme/models/failure', payload: { task: 'binary', dataset: 'readings', features: { continuous: ['temp'] } } });
        assert.ok(model.statusCode < 300, model.body);
        await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifactBytesOf(await trainedGbdt('binary', 3)));
        const promoted = await host.inject({ method: 'POST', url: '/api/tenants/acme/models/failure/promote', payload: { version: 1 } });
        assert.equal(promoted.statusCode, 200, promoted.body);
        const history = body<{ history: Array<{ actor: string }> }>(await host.inject({ method: 'GET', url: '/api/tenants/acme/models/failure/champion/history' })).history;
        assert.equal(history[0]?.actor, 'alice@acme');
        const [entry] = body<Page>(await host.inject({ method: 'GET', url: '/api/audit?action=model.promote' })).entries;
        assert.deepEqual([entry?.subject, entry?.requestId], ['alice@acme', promoted.headers['x-request-id']]);
        // A manual training carries the subject to its run, whose promotion the champion history credits to it.
        const trained = await host.inject({ method: 'POST', url: '/api/tenants/acme/models/failure/train', payload: {} });
        assert.equal(trained.statusCode, 202, trained.body);
        const run = await t.engine.runs.get('acme', body<{ id: string }>(trained).id);
        assert.equal((JSON.parse(run.params ?? '{}') as { requestedBy?: string }).requestedBy, 'alice@acme');
      } finally {
        await host.close();
        await t.close();
      }
    });

    test('trainings and alerts are recorded as the system’s', async () => {
      const t = await openTestApi({ target: await target.make(), ...routeSettings() });
      try {
        const queued = await t.engine.runs.trigger('quick', 'acme');
        const run: RunRow = { ...queued, id: 'run_x', job_id: 'train-failure', trigger: 'slot', status: 'succeeded', outcome: 'promoted', error_code: null, finished_at: queued.queued_at, result: JSON.stringify({ version: { version: 3, name: 'failure_acme_v3' } }) };
        t.engine.events.emit('run:finished', { run });
        t.engine.events.emit('run:finished', { run: { ...run, id: 'run_y', job_id: 'quick' } });
        const alert = { id: 'al_1', tenantId: 'acme', model: 'failure', type: 'AUC_DROP', severity: 'critical' as const, status: 'open' as const, message: 'AUC fell', value: 0.6, threshold: 0.7, openedAt: 0, resolvedAt: null };
        t.engine.events.emit('alert:opened', { alert });
        t.engine.events.emit('alert:resolved', { alert: { ...alert, status: 'resolved' } });
        // Recorded asynchronously: wait on the store, not on time.
        let page: Awaited<ReturnType<typeof t.engine.audit.list>>;
        for (;;) {
          page = await t.engine.audit.list({ tenants: ['acme'], limit: 10 });
          page = { ...page, entries: page.entries.filter((e) => e.action !== 'run.trigger') };
          if (page.entries.length >= 4) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.deepEqual(
          page.entries.map((e) => [e.action, e.target, e.subject, e.via]).sort(),
          [
            ['alert.opened', 'alert/al_1', 'system', 'system'],
            ['alert.resolved', 'alert/al_1', 'system', 'system'],
            ['model.promote', 'model/acme/failure', 'system', 'system'],
            ['training.finished', 'run/run_x', 'system', 'system'],
          ],
        );
        const training = page.entries.find((e) => e.action === 'training.finished');
        assert.deepEqual(training?.after, { model: 'failure', trigger: 'slot', status: 'succeeded', outcome: 'promoted', version: 3, error: null });
      } finally {
        await t.close();
      }
    });
  });
}
