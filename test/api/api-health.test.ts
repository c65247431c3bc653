/**
 * /health, /health/live and /health/ready: liveness apart from readiness; per declared model
 * readiness (a champion in memory or loadable); a report that costs the same few statements however
 * many jobs and models exist; a SQLite store that refused WAL mode shown and logged.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { HealthService, walNote, warnWithoutWal } from '../../src/services/health-service.ts';
import { inTransaction } from '../../src/store/db.ts';
import { insertRuns, runValues } from '../../src/store/runs.ts';
import { jobHealth } from '../../src/store/job-health.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { body, openTestApi } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { commandJob } from '../helpers/settings.ts';
import { fillFleet, FAILURE_MODEL } from '../fixtures/training/fleet.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { artifactBytesOf, trainedGbdt } from '../unit/serving-fixtures.ts';

interface ModelHealth {
  tenantId: string;
  model: string;
  championVersion: number | null;
  loadedVersion: number | null;
  ready: boolean;
  reason: string | null;
}
interface HealthBody {
  status: string;
  live: boolean;
  ready: boolean;
  reasons: string[];
  store: { dialect: string; reachable: boolean; wal?: boolean; note?: string };
  models: ModelHealth[];
}

const node = process.execPath;
const { name: _name, ...MODEL_BODY } = FAILURE_MODEL;

/** Counts the statements a Kysely instance sends (every query, raw SQL included, passes transformQuery). */
function counting(): { plugin: KyselyPlugin; count: () => number } {
  let n = 0;
  return {
    plugin: {
      transformQuery: (args) => {
        n += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    },
    count: () => n,
  };
}

describe('health: liveness, readiness, models', () => {
  test('a declared model without a champion: /health and /health/ready 503 naming it, /health/live 200; ready once a champion can serve', { timeout: 60_000 }, async () => {
    const t = await openTestApi();
    try {
      await fillFleet(t.engine.db, 'acme', { machines: 2, days: 5, endMs: t.clock.now() });
      const put = await t.app.inject({ method: 'PUT', url: '/api/tenants/acme/models/failure', payload: MODEL_BODY });
      assert.equal(put.statusCode, 201, put.body);

      const before = await t.app.inject({ url: '/health' });
      assert.equal(before.statusCode, 503, before.body);
      const h = body<HealthBody>(before);
      assert.equal(h.ready, false);
      assert.equal(h.live, true);
      assert.deepEqual(h.models, [{ tenantId: 'acme', model: 'failure', championVersion: null, loadedVersion: null, ready: false, reason: 'no champion yet: no version has passed the gate', lastTraining: null, openAlerts: [] }]);
      assert.deepEqual(h.reasons, ['model "failure" of tenant "acme": no champion yet: no version has passed the gate']);

      const live = await t.app.inject({ url: '/health/live' });
      assert.equal(live.statusCode, 200);
      assert.equal(body<{ live: boolean }>(live).live, true);
      const notReady = await t.app.inject({ url: '/health/ready' });
      assert.equal(notReady.statusCode, 503);
      assert.deepEqual(body(notReady), { ready: false, reasons: h.reasons });

      // A champion that can be loaded: ready before anything loaded it, then loaded after a prediction.
      const registry = t.engine.models.registry;
      const good = await registry.registerVersion(newVersion('acme', 'failure'), artifactBytesOf(await trainedGbdt('binary', 5)));
      await t.engine.models.promote('acme', 'failure', good.version, { reason: 'test' });
      const ready = await t.app.inject({ url: '/health' });
      assert.equal(ready.statusCode, 200, ready.body);
      assert.deepEqual(body<HealthBody>(ready).models, [{ tenantId: 'acme', model: 'failure', championVersion: 1, loadedVersion: null, ready: true, reason: null, lastTraining: null, openAlerts: [] }]);
      assert.equal((await t.app.inject({ url: '/health/ready' })).statusCode, 200);
      await t.engine.models.cache.get('acme', 'failure');
      assert.equal(body<HealthBody>(await t.app.inject({ url: '/health' })).models[0]!.loadedVersion, 1);
    } finally {
      await t.close();
    }
  });

  test('a champion that cannot be loaded, with nothing in memory, is not ready and says why', async () => {
    const t = await openTestApi();
    try {
      await fillFleet(t.engine.db, 'acme', { machines: 2, days: 5, endMs: t.clock.now() });
      assert.equal((await t.app.inject({ method: 'PUT', url: '/api/tenants/acme/models/failure', payload: MODEL_BODY })).statusCode, 201);
      const broken = await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), Buffer.from('{"format":"nightshift-model","version":1}'));
      await t.engine.models.promote('acme', 'failure', broken.version, { reason: 'test' });
      await assert.rejects(t.engine.models.cache.get('acme', 'failure'));
      const res = await t.app.inject({ url: '/health' });
      assert.equal(res.statusCode, 503);
      const [model] = body<HealthBody>(res).models;
      assert.equal(model!.ready, false);
      assert.equal(model!.championVersion, 1);
      assert.match(model!.reason!, /^champion v1 cannot be loaded: /);
    } finally {
      await t.close();
    }
  });

  test('the report costs the same few statements with 2 jobs and 1 model as with 40 jobs, 6 models and many runs', { timeout: 60_000 }, async () => {
    const statements = async (jobs: number, models: number) => {
      const t = await openTestApi({ jobs: Array.from({ length: jobs }, (_, i) => commandJob(`job-${String(i).padStart(2, '0')}`, node, ['-e', '0'])) });
      try {
        await fillFleet(t.engine.db, 'acme', { machines: 1, days: 2, endMs: t.clock.now() });
        for (let m = 0; m < models; m++) {
          assert.equal((await t.app.inject({ method: 'PUT', url: `/api/tenants/acme/models/m${m}`, payload: MODEL_BODY })).statusCode, 201);
        }
        // Finished runs of every job: a failure streak to count and a last status to show.
        const now = t.clock.now();
        const rows = Array.from({ length: jobs }, (_, j) =>
          Array.from({ length: 5 }, (_, k) => ({ ...runValues({ id: `run-${j}-${k}`, tenantId: 'acme', jobId: `job-${String(j).padStart(2, '0')}`, trigger: 'manual', status: 'failed', maxAttempts: 1, timeoutMs: 60_000, runAt: now, now }), finished_at: now + k })),
        ).flat();
        await inTransaction(t.engine.db, (x) => insertRuns(x, rows));
        const c = counting();
        const db = { ...t.engine.db, k: t.engine.db.k.withPlugin(c.plugin) };
        const health = new HealthService({ db, nodeId: 'n', concurrency: 1, serving: t.engine.models.cache, probes: { schedulerState: () => 'idle', workersState: () => 'idle', running: () => 0 } });
        const report = await health.report();
        assert.equal(report.jobs.length, jobs + models, 'every job (the models’ train jobs too)');
        assert.equal(report.models.length, models);
        for (const job of report.jobs.filter((j) => j.jobId.startsWith('job-'))) {
          assert.deepEqual([job.lastStatus, job.consecutiveFailures, job.lastFinishedAt], ['failed', 5, now + 4]);
        }
        return c.count();
      } finally {
        await t.close();
      }
    };
    const few = await statements(2, 1);
    const many = await statements(40, 6);
    assert.equal(many, few, `statements: ${few} for 2 jobs, ${many} for 40`);
    // ping, jobs, champions, latest trainings, active alerts.
    assert.ok(few <= 5, `${few} statements`);
  });

  test('/health/summary: one statement (the ping) for the overview, ready while models wait for a champion', { timeout: 60_000 }, async () => {
    const t = await openTestApi();
    try {
      await fillFleet(t.engine.db, 'acme', { machines: 1, days: 2, endMs: t.clock.now() });
      assert.equal((await t.app.inject({ method: 'PUT', url: '/api/tenants/acme/models/failure', payload: MODEL_BODY })).statusCode, 201);
      const res = await t.app.inject({ url: '/health/summary' });
      assert.equal(res.statusCode, 200, res.body);
      const s = body<{ status: string; store: { reachable: boolean }; draining: boolean; reasons: string[]; concurrency: number }>(res);
      assert.deepEqual([s.store.reachable, s.draining], [true, false]);
      assert.equal(s.reasons.some((r) => r.includes('failure')), false, 'per-model readiness stays in /health');
      assert.equal((await t.app.inject({ url: '/health' })).statusCode, 503, 'the full report still names the model without a champion');

      const c = counting();
      const db = { ...t.engine.db, k: t.engine.db.k.withPlugin(c.plugin) };
      const health = new HealthService({ db, nodeId: 'n', concurrency: 3, serving: t.engine.models.cache, probes: { schedulerState: () => 'running', workersState: () => 'stopped', running: () => 2 } });
      const summary = await health.summary();
      assert.equal(c.count(), 1);
      assert.deepEqual([summary.scheduler, summary.workers, summary.running, summary.concurrency, summary.node], ['running', 'stopped', 2, 3, 'n']);
    } finally {
      await t.close();
    }
  });

  test('SQLite that refused WAL mode: shown in /health (store.wal false, a note) and logged at warn', async () => {
    const t = await openTestApi();
    try {
      assert.deepEqual(body<HealthBody>(await t.app.inject({ url: '/health' })).store, { dialect: 'sqlite', reachable: true, wal: true });
      const db = { ...t.engine.db, wal: false };
      const health = new HealthService({ db, nodeId: 'n', concurrency: 1, serving: t.engine.models.cache, probes: { schedulerState: () => 'idle', workersState: () => 'idle', running: () => 0 } });
      const store = (await health.report()).store;
      assert.equal(store.wal, false);
      assert.match(store.note!, /SQLite refused WAL mode for .*nightshift\.db.*NIGHTSHIFT_DATA_DIR/);
      const warned: Array<{ obj: unknown; msg: string }> = [];
      warnWithoutWal(db, { warn: ((obj: unknown, msg: string) => warned.push({ obj, msg })) as never });
      assert.deepEqual(warned, [{ obj: { store: 'sqlite', location: db.location, wal: false }, msg: walNote(db) }]);
      warnWithoutWal(t.engine.db, { warn: (() => assert.fail('WAL is on: nothing to warn about')) as never });
    } finally {
      await t.close();
    }
  });
});

for (const target of await storeTargets()) {
  describe(`job health in one statement (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('streak: failures among the 50 newest executions with no success after them (ties on the time broken by id); in flight; scope', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [commandJob('a', node), commandJob('b', node), commandJob('c', node), commandJob('idle', node)] });
      try {
        const now = t.clock.now();
        const run = (id: string, jobId: string, status: string, finishedAt: number | null, tenantId = 'acme') => ({
          ...runValues({ id, tenantId, jobId, trigger: 'manual', status: status === 'queued' ? 'queued' : 'failed', maxAttempts: 1, timeoutMs: 60_000, runAt: now, now }),
          status,
          finished_at: finishedAt,
        });
        const rows = [
          // a: success, then two failures (one at the same ms with a larger id), a cancel, a skipped slot: streak 2.
          run('a-1', 'a', 'failed', now - 10),
          run('a-2', 'a', 'succeeded', now),
          run('a-3', 'a', 'failed', now),
          run('a-4', 'a', 'timed_out', now + 1),
          run('a-5', 'a', 'cancelled', now + 2),
          run('a-6', 'a', 'skipped', now + 3),
          run('a-7', 'a', 'running', null),
          run('a-8', 'a', 'queued', null),
          run('a-9', 'a', 'queued', null, 'globex'),
          // b: a failure at the same ms as a later-id success: the success is newer, streak 0.
          run('b-1', 'b', 'failed', now),
          run('b-2', 'b', 'succeeded', now),
          // c: 60 failures, never a success: counted among the newest 50.
          ...Array.from({ length: 60 }, (_, i) => run(`c-${String(i).padStart(2, '0')}`, 'c', 'failed', now + i)),
        ];
        await inTransaction(t.engine.db, (x) => insertRuns(x, rows));
        const all = new Map((await jobHealth(t.engine.db.k, ALL_TENANTS)).map((j) => [j.jobId, j]));
        assert.deepEqual(all.get('a'), { jobId: 'a', lastStatus: 'cancelled', lastFinishedAt: now + 2, consecutiveFailures: 2, running: 1, queued: 2, nextRunAt: null });
        assert.equal(all.get('b')!.consecutiveFailures, 0);
        assert.equal(all.get('b')!.lastStatus, 'succeeded');
        assert.equal(all.get('c')!.consecutiveFailures, 50);
        assert.deepEqual(all.get('idle'), { jobId: 'idle', lastStatus: null, lastFinishedAt: null, consecutiveFailures: 0, running: 0, queued: 0, nextRunAt: null });
        const globex = new Map((await jobHealth(t.engine.db.k, 'globex')).map((j) => [j.jobId, j]));
        assert.deepEqual([globex.get('a')!.queued, globex.get('a')!.running, globex.get('a')!.lastStatus], [1, 0, null]);

        // Every declared model with its champion, in one join: one with a champion, one without.
        await fillFleet(t.engine.db, 'acme', { machines: 1, days: 2, endMs: now });
        for (const name of ['failure', 'wear']) await t.engine.models.define('acme', name, MODEL_BODY);
        const v = await t.engine.models.registry.registerVersion(newVersion('acme', 'wear'), artifactBytesOf(await trainedGbdt('binary', 3)));
        await t.engine.models.promote('acme', 'wear', v.version, { reason: 'test' });
        const models = (await t.engine.health.report()).models.map((m) => [m.tenantId, m.model, m.championVersion, m.ready]);
        assert.deepEqual(models, [['acme', 'failure', null, false], ['acme', 'wear', 1, true]]);
      } finally {
        await t.close();
      }
    });
  });
}
