/** Runs examples/library/server.ts for real: the host's routes and nightshift's share one server. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { tempDir } from '../helpers/settings.ts';
import { freePort } from '../helpers/api.ts';

const EXAMPLE = join(import.meta.dirname, '..', '..', 'examples', 'library', 'server.ts');


test('the library example mounts nightshift in a host Fastify app and runs a job through it', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', EXAMPLE], {
    env: { ...process.env, PORT: String(port), NIGHTSHIFT_DATA_DIR: tempDir(), NIGHTSHIFT_LOG_LEVEL: 'warn', NIGHTSHIFT_POLL: '100ms', NIGHTSHIFT_AUTH: 'off' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  try {
    const lines = createInterface({ input: child.stdout! });
    for await (const line of lines) if (line.includes('example listening')) break;
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await (await fetch(`${base}/`)).json(), { service: 'example-shop', ok: true });
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    const trigger = await fetch(`${base}/api/jobs/refresh-recommendations/trigger`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(trigger.status, 202);
    const { runId } = (await trigger.json()) as { runId: string };
    let run: { status: string; metrics: Record<string, number> } = { status: 'queued', metrics: {} };
    // Bounded by time, not by a count of polls (each poll is a request that a loaded machine slows).
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (run.status === 'queued' || run.status === 'running'); ) {
      await new Promise((r) => setTimeout(r, 50));
      run = (await (await fetch(`${base}/api/runs/${runId}`)).json()) as typeof run;
    }
    assert.equal(run.status, 'succeeded');
    assert.ok((run.metrics.items ?? 0) >= 1000);
    const schedules = (await (await fetch(`${base}/api/schedules`)).json()) as { schedules: Array<{ id: string; cron: string; timezone: string }> };
    assert.deepEqual(schedules.schedules.map((s) => [s.id, s.cron, s.timezone]), [['shop.refresh-recommendations', '0 2 * * *', 'Europe/Berlin']]);
  } finally {
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, 'the host app shut nightshift down cleanly');
  }
});
