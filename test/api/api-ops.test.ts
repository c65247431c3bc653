/** Ops endpoints over app.inject(): /health (readiness, per-job status, draining, store down), /metrics (+ promtool), /openapi.json, /docs. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inTransaction, LOCK_KEYS } from '../../src/store/db.ts';
import { claimRuns } from '../../src/store/run-transitions.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { Service } from '../../src/server.ts';
import { EngineEvents } from '../../src/events.ts';
import { EngineMetrics } from '../../src/monitor/metrics.ts';
import { assertError, body, openTestApi, parseMetrics, sample, waitForRunEnd, waitForRunSpawned } from '../helpers/api.ts';
import { MINUTE } from '../helpers/engine.ts';
import { commandJob, makeSettings, schedule, tempDir } from '../helpers/settings.ts';

const node = process.execPath;
const EXIT_FROM_FILE = join(import.meta.dirname, '..', 'fixtures', 'api', 'exit-from-file.mjs');
const FLAKY = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'flaky.mjs');
const WAIT_FOR_TERM = join(import.meta.dirname, '..', 'fixtures', 'commands', 'wait-for-term.mjs');

interface HealthBody {
  status: string;
  live: boolean;
  ready: boolean;
  store: { dialect: string; reachable: boolean; error?: string };
  scheduler: string;
  workers: string;
  jobs: Array<{ jobId: string; lastStatus: string | null; lastFinishedAt: string | null; consecutiveFailures: number; running: number; queued: number; nextRunAt: string | null }>;
}

describe('GET /health', () => {
  test('200 when ready: store reachable, loops fine, every job listed', async () => {
    const t = await openTestApi({ jobs: [commandJob('quick', node, ['-e', '0'])] });
    try {
      const res = await t.app.inject({ url: '/health' });
      assert.equal(res.statusCode, 200);
      const h = body<HealthBody>(res);
      assert.equal(h.status, 'ok');
      assert.equal(h.ready, true);
      assert.equal(h.live, true);
      assert.deepEqual(h.store, { dialect: 'sqlite', reachable: true, wal: true });
      assert.deepEqual(h.jobs, [{ jobId: 'quick', lastStatus: null, lastFinishedAt: null, consecutiveFailures: 0, running: 0, queued: 0, nextRunAt: null }]);
    } finally {
      await t.close();
    }
  });

  test('per job: last status and time, consecutive failures (2 after two failures, 0 after a success), next run', async () => {
    const exitFile = join(tempDir(), 'exit-code');
    const t = await openTestApi({
      jobs: [commandJob('toggle', node, [EXIT_FROM_FILE, exitFile])],
      schedules: [schedule('toggle-daily', 'toggle', { cron: '0 6 * * *' })],
    });
    t.engine.start({ scheduler: false });
    const runOnce = async (exitCode: number) => {
      writeFileSync(exitFile, String(exitCode));
      t.clock.advance(MINUTE); // distinct finish times, as in real life
      const res = await t.app.inject({ method: 'POST', url: '/api/jobs/toggle/trigger', payload: { tenantId: 'acme' } });
      assert.equal(res.statusCode, 202, res.body);
      const run = await waitForRunEnd(t.engine, body<{ runId: string }>(res).runId);
      assert.equal(run.status, exitCode === 0 ? 'succeeded' : 'failed');
      const health = body<HealthBody>(await t.app.inject({ url: '/health' }));
      return health.jobs.find((j) => j.jobId === 'toggle')!;
    };
    try {
      const first = await runOnce(1);
      assert.equal(first.consecutiveFailures, 1);
      const second = await runOnce(2);
      assert.deepEqual(second, {
        jobId: 'toggle',
        lastStatus: 'failed',
        lastFinishedAt: new Date(t.clock.now()).toISOString(),
        consecutiveFailures: 2,
        running: 0,
        queued: 0,
        nextRunAt: '2026-03-01T06:00:00.000Z',
      });
      const third = await runOnce(0);
      assert.equal(third.lastStatus, 'succeeded');
      assert.equal(third.lastFinishedAt, new Date(t.clock.now()).toISOString());
      assert.equal(third.consecutiveFailures, 0, 'a success resets the streak');
    } finally {
      await t.close();
    }
  });

  test('503 while drain.draining is true', async () => {
    const t = await openTestApi();
    try {
      t.drain.draining = true;
      const res = await t.app.inject({ url: '/health' });
      assert.equal(res.statusCode, 503);
      const h = body<HealthBody>(res);
      assert.equal(h.status, 'unavailable');
      assert.equal(h.ready, false);
      assert.equal(h.live, true);
      assert.equal(h.store.reachable, true);
      t.drain.draining = false;
      assert.equal((await t.app.inject({ url: '/health' })).statusCode, 200);
    } finally {
      await t.close();
    }
  });

  test('503 when the store is unreachable (its connection closed), without a stack', async () => {
    const t = await openTestApi({ jobs: [commandJob('quick', node, ['-e', '0'])] });
    try {
      await t.engine.db.close();
      const res = await t.app.inject({ url: '/health' });
      assert.equal(res.statusCode, 503);
      const h = body<HealthBody>(res);
      assert.equal(h.ready, false);
      assert.equal(h.store.reachable, false);
      assert.equal(typeof h.store.error, 'string');
      assert.doesNotMatch(res.body, /\\n\s+at /);
    } finally {
      await t.close();
    }
  });

  // Above the 20 s of each wait inside (process starts and stops, slow on a loaded CI machine).
  test('503 while Service.stop() is in progress (a run still draining)', { timeout: 60_000 }, async () => {
    const settings = makeSettings({ dataDir: tempDir('ns-api-'), jobs: [commandJob('long', node, [WAIT_FOR_TERM])], pollMs: 200 });
    const service = await Service.create({ settings });
    await service.start();
    const app = service.app!;
    try {
      assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
      const trig = await app.inject({ method: 'POST', url: '/api/jobs/long/trigger', payload: { tenantId: 'acme' } });
      const runId = body<{ runId: string }>(trig).runId;
      await waitForRunSpawned(service.engine, runId);
      const stopping = service.stop(10_000);
      const res = await app.inject({ url: '/health' });
      assert.equal(res.statusCode, 503, res.body);
      const h = body<HealthBody>(res);
      assert.equal(h.ready, false);
      assert.equal(h.status, 'unavailable');
      assert.notEqual(h.workers, 'running');
      // Let the drain finish now instead of waiting out the grace.
      await service.engine.runs.cancel('acme', runId);
      await stopping;
    } finally {
      await service.stop();
    }
  });
});

describe('GET /metrics', () => {
  test('after succeeded, failed, retried, recovered and slot runs: every family is there with the right values, and promtool accepts it', { timeout: 30_000 }, async () => {
    const counter = join(tempDir(), 'flaky-count');
    const t = await openTestApi({
      jobs: [
        commandJob('ok', node, ['-e', 'console.log("::metric rows=3")']),
        commandJob('bad', node, ['-e', 'process.exit(3)']),
        commandJob('flaky', node, [FLAKY, counter, '2'], { retry: { retries: 1, backoffMs: [], jitterRatio: 0 } }),
        commandJob('lost', node, ['-e', '0']),
        commandJob('later', node, ['-e', '0']),
      ],
      schedules: [schedule('ok-hourly', 'ok', { cron: '0 * * * *' })],
      maxRecoveries: 0,
    });
    try {
      // A run whose worker vanished: claimed by a ghost with a 1 s lease, then recovered (no recoveries allowed → failed).
      const lost = await t.engine.runs.trigger('lost', 'acme');
      await inTransaction(t.engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: 'ghost', host: 'h', now: t.clock.now(), leaseMs: 1_000, limit: 1 }), { lock: LOCK_KEYS.claim });
      t.clock.set('2026-03-01T01:01:30Z');
      assert.equal(await t.engine.workers.recoverLeases(true), 1);
      assert.equal((await t.engine.runs.get(lost.tenant_id, lost.id)).status, 'failed');
      // The 01:00 slot decided 90 s late.
      const { decided } = await t.engine.scheduler.tick();
      assert.equal(decided.length, 1);
      const slotRunId = decided[0]!.slot.run_id!;
      t.engine.start({ scheduler: false });
      await waitForRunEnd(t.engine, slotRunId);
      for (const job of ['bad', 'flaky']) {
        const res = await t.app.inject({ method: 'POST', url: `/api/jobs/${job}/trigger`, payload: { tenantId: 'acme' } });
        await waitForRunEnd(t.engine, body<{ runId: string }>(res).runId);
      }
      const later = await t.app.inject({ method: 'POST', url: '/api/jobs/later/trigger', payload: { tenantId: 'acme', at: '2026-03-02T00:00:00Z' } });
      assert.equal(later.statusCode, 202);

      const res = await t.app.inject({ url: '/metrics' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      const m = parseMetrics(res.body);
      const runs = (job: string, status: string) => sample(m, 'nightshift_runs_total', { job, tenant: 'acme', status });
      assert.equal(runs('ok', 'succeeded'), 1);
      assert.equal(runs('bad', 'failed'), 1);
      assert.equal(runs('flaky', 'succeeded'), 1);
      assert.equal(sample(m, 'nightshift_retries_total', { job: 'flaky', tenant: 'acme' }), 1);
      assert.equal(sample(m, 'nightshift_recovered_leases_total', { outcome: 'failed' }), 1);
      assert.equal(sample(m, 'nightshift_run_duration_seconds_count', { job: 'ok', status: 'succeeded' }), 1);
      assert.equal(sample(m, 'nightshift_run_duration_seconds_bucket', { job: 'bad', status: 'failed', le: '+Inf' }), 1);
      assert.equal(sample(m, 'nightshift_slot_lateness_seconds_count'), 1);
      assert.equal(sample(m, 'nightshift_slot_lateness_seconds_sum'), 90);
      assert.equal(sample(m, 'nightshift_slot_lateness_seconds_bucket', { le: '60' }), 0);
      assert.equal(sample(m, 'nightshift_slot_lateness_seconds_bucket', { le: '600' }), 1);
      assert.equal(sample(m, 'nightshift_queue_depth', { job: 'later', tenant: 'acme', status: 'queued' }), 1);
      assert.equal(sample(m, 'nightshift_runs_running'), 0);
      // prom-client's standard names, as stock Node.js dashboards query them; nightshift's own keep their prefix.
      for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_version_info']) {
        assert.ok([...m.keys()].some((k) => k === name || k.startsWith(`${name}{`)), `standard metric ${name}`);
      }
      assert.deepEqual([...m.keys()].filter((k) => /^nightshift_(process|nodejs)_/.test(k)), [], 'no renamed copies of the standard metrics');
      await assertPromtoolAccepts(res.body);
    } finally {
      await t.close();
    }
  });
});

describe('metric names and types', () => {
  test('the model cache counts loads, load errors and evictions as counters named _total, read from the cache at scrape time', async () => {
    const stats = { entries: 1, bytes: 2048, loads: 3, loadErrors: 1, evictions: 0, retiring: 0 };
    const services = {
      events: new EngineEvents(),
      health: { running: 0, queueDepth: async () => [] },
      jobs: { get: async () => undefined },
      models: { cache: { stats: () => ({ ...stats }) } },
      notifications: { depth: async () => [], counts: new Map() },
      series: { openAlertCounts: async () => [], gauges: async () => [] },
    } as unknown as ConstructorParameters<typeof EngineMetrics>[0];
    const metrics = new EngineMetrics(services);
    try {
      let text = await metrics.metrics();
      for (const name of ['loads', 'load_errors', 'evictions']) {
        assert.match(text, new RegExp(`^# TYPE nightshift_model_cache_${name}_total counter$`, 'm'), name);
        assert.doesNotMatch(text, new RegExp(`^nightshift_model_cache_${name} `, 'm'), `the gauge ${name} is gone`);
      }
      assert.match(text, /^# TYPE nightshift_model_cache_entries gauge$/m);
      assert.equal(sample(parseMetrics(text), 'nightshift_model_cache_loads_total'), 3);
      assert.equal(sample(parseMetrics(text), 'nightshift_model_cache_load_errors_total'), 1);
      stats.loads = 5;
      stats.evictions = 2;
      text = await metrics.metrics();
      assert.equal(sample(parseMetrics(text), 'nightshift_model_cache_loads_total'), 5);
      assert.equal(sample(parseMetrics(text), 'nightshift_model_cache_evictions_total'), 2);
      // Every counter of nightshift's own ends in _total, and nothing else does.
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
        if (name!.startsWith('nightshift_')) assert.equal(type === 'counter', name!.endsWith('_total'), `${name} is a ${type}`);
      }
      await assertPromtoolAccepts(text);
    } finally {
      metrics.close();
    }
  });
});

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool && process.env.NIGHTSHIFT_REQUIRE_PROMTOOL === '1') throw new Error('NIGHTSHIFT_REQUIRE_PROMTOOL=1 but promtool is not on PATH (apt-get install prometheus)');
if (!hasPromtool) process.stderr.write('\n*** promtool not on PATH: the `promtool check metrics` assertion is SKIPPED (apt-get install prometheus) ***\n\n');

async function assertPromtoolAccepts(text: string): Promise<void> {
  if (!hasPromtool) return;
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  child.stdin.end(text);
  assert.equal(await code, 0, `promtool check metrics failed:\n${output}`);
  assert.doesNotMatch(output, /error|should|invalid/i, output);
}

describe('OpenAPI and docs', () => {
  test('GET /openapi.json describes every route; GET /docs serves the UI (200 or a redirect to it)', async () => {
    const t = await openTestApi();
    try {
      const res = await t.app.inject({ url: '/openapi.json' });
      assert.equal(res.statusCode, 200);
      const doc = body<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(res);
      assert.match(doc.openapi, /^3\./);
      const expected: Array<[string, string]> = [
        ['/health', 'get'],
        ['/metrics', 'get'],
        ['/api/tenants', 'get'],
        ['/api/tenants', 'post'],
        ['/api/tenants/{id}', 'put'],
        ['/api/tenants/{id}', 'delete'],
        ['/api/jobs', 'get'],
        ['/api/jobs/{id}', 'get'],
        ['/api/jobs/{id}/trigger', 'post'],
        ['/api/schedules', 'get'],
        ['/api/schedules', 'post'],
        ['/api/schedules/{id}', 'get'],
        ['/api/schedules/{id}', 'put'],
        ['/api/schedules/{id}', 'delete'],
        ['/api/schedules/{id}/enable', 'post'],
        ['/api/schedules/{id}/disable', 'post'],
        ['/api/runs', 'get'],
        ['/api/runs/{id}', 'get'],
        ['/api/runs/{id}/cancel', 'post'],
      ];
      for (const [path, method] of expected) assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);

      const docs = await t.app.inject({ url: '/docs' });
      if (docs.statusCode === 200) {
        assert.match(String(docs.headers['content-type']), /text\/html/);
        assert.match(docs.body, /swagger/i);
      } else {
        assert.ok([301, 302, 303, 307, 308].includes(docs.statusCode), `docs: ${docs.statusCode}`);
        const ui = await t.app.inject({ url: String(docs.headers.location) });
        assert.equal(ui.statusCode, 200);
      }
    } finally {
      await t.close();
    }
  });

  test('an unknown route is 404 NS_NOT_FOUND naming the url', async () => {
    const t = await openTestApi();
    try {
      assertError(await t.app.inject({ url: '/api/nothing-here' }), { status: 404, code: 'NS_NOT_FOUND', field: 'url', message: /\/api\/nothing-here.*\/docs/ });
      assertError(await t.app.inject({ method: 'PATCH', url: '/api/schedules/x' }), { status: 404, code: 'NS_NOT_FOUND', field: 'url' });
    } finally {
      await t.close();
    }
  });
});
