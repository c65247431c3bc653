/**
 * The real `nightshift serve` process over HTTP: create a tenant and a schedule, trigger a job
 * declared in a JSON config file, follow its run to success, stop with SIGTERM, restart on the same
 * data dir and find the history again.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort } from '../helpers/api.ts';
import { ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';

interface Run {
  id: string;
  tenantId: string;
  jobId: string;
  status: string;
  trigger: string;
  metrics: Record<string, number>;
  logTail: string;
  attempts: Array<{ status: string }>;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped']);

async function call<T>(base: string, method: string, path: string, payload?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Polls the run at a short interval until it ends; bounded. */
async function followRun(base: string, runId: string, timeoutMs = 20_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await call<Run>(base, 'GET', `/api/runs/${runId}`);
    assert.equal(status, 200);
    if (TERMINAL.has(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${body.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function setup(port: number) {
  const dir = tempDir('ns-http-e2e-');
  const config = join(dir, 'nightshift.json');
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [{ id: 'acme', name: 'Acme', timezone: 'UTC' }],
      jobs: [
        {
          id: 'hello',
          kind: 'command',
          command: process.execPath,
          args: ['-e', 'console.log("hello from " + process.env.NIGHTSHIFT_TENANT_ID); console.log("::metric answer=42")'],
        },
      ],
    }),
  );
  return {
    NIGHTSHIFT_CONFIG: config,
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_HOST: '127.0.0.1',
    NIGHTSHIFT_PORT: String(port),
    NIGHTSHIFT_POLL: '200ms',
    NIGHTSHIFT_SHUTDOWN_GRACE: '2s',
    NIGHTSHIFT_LOG_LEVEL: 'info',
    NIGHTSHIFT_AUTH: 'off',
  };
}

async function startServe(env: Record<string, string>) {
  const serve = new ServeProcess(env);
  try {
    await serve.waitForLog((l) => l.msg === 'HTTP API listening', 30_000);
  } catch (error) {
    await serve.stop('SIGKILL');
    throw error;
  }
  return serve;
}

describe('nightshift serve over HTTP', () => {
  test('tenant, schedule and a triggered run over HTTP; SIGTERM exits 0; after a restart the history is still there', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const env = setup(port);
    const base = `http://127.0.0.1:${port}`;

    const first = await startServe(env);
    let runId: string;
    try {
      const health = await call<{ status: string }>(base, 'GET', '/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'ok');

      const tenant = await call<{ id: string; timezone: string }>(base, 'POST', '/api/tenants', { id: 'initech', name: 'Initech', timezone: 'Europe/Paris' });
      assert.equal(tenant.status, 201, JSON.stringify(tenant.body));
      const created = await call<{ id: string; nextRuns: string[]; timezone: string }>(base, 'PUT', '/api/schedules/initech-nightly', { tenantId: 'initech', jobId: 'hello', cron: '0 3 * * *' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.timezone, 'Europe/Paris');
      assert.equal(created.body.nextRuns.length, 5);

      const trig = await call<{ runId: string; status: string; nextScheduledRun: string | null }>(base, 'POST', '/api/jobs/hello/trigger', { tenantId: 'initech' });
      assert.equal(trig.status, 202, JSON.stringify(trig.body));
      assert.equal(trig.body.status, 'queued');
      assert.equal(trig.body.nextScheduledRun, created.body.nextRuns[0]);
      runId = trig.body.runId;

      const run = await followRun(base, runId);
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      assert.equal(run.tenantId, 'initech');
      assert.deepEqual(run.metrics, { answer: 42 });
      assert.match(run.logTail, /hello from initech/);
      assert.deepEqual(run.attempts.map((a) => a.status), ['succeeded']);
    } finally {
      const exit = await first.stop('SIGTERM');
      assert.equal(exit.code, 0, `a graceful shutdown exits 0 (got ${JSON.stringify(exit)})`);
    }

    const second = await startServe(env);
    try {
      const run = await call<Run>(base, 'GET', `/api/runs/${runId}`);
      assert.equal(run.status, 200);
      assert.equal(run.body.status, 'succeeded');
      assert.deepEqual(run.body.metrics, { answer: 42 });
      const listed = await call<{ runs: Run[] }>(base, 'GET', '/api/runs?tenantId=initech&jobId=hello');
      assert.deepEqual(listed.body.runs.map((r) => r.id), [runId]);
      const schedule = await call<{ id: string; cron: string; tenantId: string; enabled: boolean }>(base, 'GET', '/api/schedules/initech-nightly');
      assert.equal(schedule.status, 200);
      assert.deepEqual([schedule.body.cron, schedule.body.tenantId, schedule.body.enabled], ['0 3 * * *', 'initech', true]);
      const tenants = await call<{ tenants: Array<{ id: string }> }>(base, 'GET', '/api/tenants');
      assert.deepEqual(tenants.body.tenants.map((t) => t.id), ['acme', 'initech']);
      const job = await call<{ lastRun: { id: string } | null }>(base, 'GET', '/api/jobs/hello?tenantId=initech');
      assert.equal(job.body.lastRun?.id, runId);
    } finally {
      const exit = await second.stop('SIGTERM');
      assert.equal(exit.code, 0);
    }
  });
});
