/** The real `nightshift serve` process: kill -9 mid-run, SIGTERM mid-run and Ctrl-C in its terminal mid-run, each followed by a restart. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { groupAlive } from '../../src/runs/exec/process-group.ts';
import { openDb } from '../../src/store/db.ts';
import { getRunRow, listAttempts } from '../../src/store/runs.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { ptyUnavailable } from '../helpers/pty.ts';
import { BIN, ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';

const exec = promisify(execFile);
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'sleep-then-mark.mjs');

/**
 * jobMs: how long the job runs. It must outlive whatever the test does between "run started" and the
 * moment the service stops it (a restart after kill -9; reading the log line, finding the pid in the
 * store, signalling, the 300 ms grace), each of which a loaded CI machine can stretch to seconds: a
 * job that finished first would end as succeeded, not put back.
 */
function setup(jobMs = 10_000) {
  const dir = tempDir();
  const marker = join(dir, 'completions.txt');
  const config = join(dir, 'nightshift.json');
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [{ id: 'acme', name: 'Acme', timezone: 'UTC' }],
      jobs: [{ id: 'slow', kind: 'command', command: process.execPath, args: [FIXTURE, String(jobMs), marker], retry: { retries: 1, backoff: ['1s'] } }],
    }),
  );
  const env = {
    NIGHTSHIFT_CONFIG: config,
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_LEASE: '1s',
    NIGHTSHIFT_HEARTBEAT: '250ms',
    NIGHTSHIFT_POLL: '200ms',
    NIGHTSHIFT_SHUTDOWN_GRACE: '300ms',
    NIGHTSHIFT_KILL_GRACE: '2s',
    NIGHTSHIFT_LOG_LEVEL: 'info',
    NIGHTSHIFT_PORT: '0',
  };
  const trigger = async () => {
    const { stdout } = await exec(process.execPath, [BIN, 'trigger', 'slow', '--tenant', 'acme', '--json'], { env: { ...process.env, ...env } });
    return (JSON.parse(stdout) as { id: string }).id;
  };
  const completions = () => {
    try {
      return readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const inspect = async (runId: string) => {
    const db = await openDb({ dataDir: env.NIGHTSHIFT_DATA_DIR, databaseUrl: null });
    try {
      const run = await getRunRow(db.k, ALL_TENANTS, runId);
      return { run, attempts: run ? await listAttempts(db.k, run.tenant_id, runId) : [] };
    } finally {
      await db.close();
    }
  };
  /** The run's job process, once it has been started and recorded. */
  const jobPid = async (runId: string, timeoutMs = 30_000) => {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await delay(100)) {
      const { run } = await inspect(runId);
      if (run?.pid) return run.pid;
    }
    throw new Error(`run ${runId} recorded no pid within ${timeoutMs} ms`);
  };
  return { env, trigger, completions, inspect, jobPid };
}

describe('serve process lifecycle', () => {
  test('kill -9 while a command runs: after restart the run is recovered and completes once', { timeout: 90_000 }, async () => {
    const s = setup(15_000);
    const runId = await s.trigger();
    const first = new ServeProcess(s.env);
    await first.waitForLog((l) => l.msg === 'run started' && l.runId === runId);
    first.proc.kill('SIGKILL');
    await first.exited;

    const second = new ServeProcess(s.env);
    try {
      await second.waitForLog((l) => l.msg === 'expired lease recovered' && l.runId === runId);
      await second.waitForLog((l) => l.msg === 'run succeeded' && l.runId === runId);
    } finally {
      assert.equal((await second.stop('SIGTERM')).code, 0);
    }
    const { run, attempts } = await s.inspect(runId);
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual(attempts.map((a) => a.status), ['lost', 'succeeded']);
    assert.equal(s.completions().length, 1, `the job completed exactly once: ${JSON.stringify(s.completions())}`);
  });

  test('a second signal during the graceful drain exits at once; the run is recovered on the next start', { timeout: 90_000 }, async () => {
    const s = setup(15_000);
    const runId = await s.trigger();
    const first = new ServeProcess({ ...s.env, NIGHTSHIFT_SHUTDOWN_GRACE: '60s' });
    await first.waitForLog((l) => l.msg === 'run started' && l.runId === runId);
    first.proc.kill('SIGTERM');
    await first.waitForLog((l) => l.msg === 'shutting down: no new runs; waiting for running ones');
    // A repeat within a second is the first signal delivered twice (main.ts): a second request comes later.
    await delay(1_100);
    first.proc.kill('SIGTERM');
    const exit = await first.exited;
    assert.equal(exit.code, 130, 'the second signal exits at once with 130, without waiting the 60 s grace');
    assert.ok(first.lines.some((l) => l.msg === 'second signal: exiting at once; unfinished runs are recovered on next start'));

    const second = new ServeProcess(s.env);
    try {
      await second.waitForLog((l) => l.msg === 'expired lease recovered' && l.runId === runId);
      await second.waitForLog((l) => l.msg === 'run succeeded' && l.runId === runId);
    } finally {
      await second.stop('SIGTERM');
    }
    assert.equal(s.completions().length, 1, 'the orphaned first attempt was killed; the job completed once');
  });

  test('SIGTERM during a run: requeued, never failed, finished after restart', { timeout: 90_000 }, async () => {
    const s = setup();
    const runId = await s.trigger();
    const first = new ServeProcess(s.env);
    await first.waitForLog((l) => l.msg === 'run started' && l.runId === runId);
    const exit = await first.stop('SIGTERM');
    assert.equal(exit.code, 0, 'a graceful shutdown exits 0');
    assert.ok(first.lines.some((l) => l.msg === 'run requeued by shutdown' && l.runId === runId));
    const between = await s.inspect(runId);
    assert.equal(between.run?.status, 'queued');
    assert.equal(between.run?.error_code, null);
    assert.match(between.run?.reason ?? '', /interrupted by shutdown/);

    const second = new ServeProcess(s.env);
    try {
      await second.waitForLog((l) => l.msg === 'run succeeded' && l.runId === runId);
    } finally {
      await second.stop('SIGTERM');
    }
    const { run, attempts } = await s.inspect(runId);
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual(attempts.map((a) => a.status), ['interrupted', 'succeeded']);
    assert.ok(!attempts.some((a) => a.status === 'failed'));
    assert.equal(s.completions().length, 1);
  });

  test('Ctrl-C in the terminal during a run: requeued, never failed, finished after restart', { timeout: 90_000, skip: ptyUnavailable() ?? false }, async () => {
    const s = setup();
    const runId = await s.trigger();
    // In a terminal, as `npm start` runs: ^C sends SIGINT to the whole foreground process group.
    const first = new ServeProcess(s.env, ['serve'], BIN, { terminal: true });
    let pid: number | null = null;
    try {
      await first.waitForLog((l) => l.msg === 'run started' && l.runId === runId);
      pid = await s.jobPid(runId);
      first.interrupt();
      const exit = await first.exited;
      assert.equal(exit.code, 0, 'a graceful shutdown exits 0');
      assert.ok(first.lines.some((l) => l.msg === 'shutting down: no new runs; waiting for running ones' && l.signal === 'SIGINT'));
      assert.ok(first.lines.some((l) => l.msg === 'run requeued by shutdown' && l.runId === runId), 'the launcher outlived the ^C, so the run was put back, not lost');
      const between = await s.inspect(runId);
      assert.equal(between.run?.status, 'queued');
      assert.equal(between.run?.error_code, null);
      assert.deepEqual([between.run?.interruptions, between.run?.max_attempts], [1, 2], 'no attempt spent');
      assert.deepEqual(between.attempts.map((a) => a.status), ['interrupted']);
      assert.ok(!groupAlive(pid), 'the shutdown stopped the job; nothing was left running');
    } finally {
      await first.stop('SIGKILL');
      if (pid !== null && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    }

    const second = new ServeProcess(s.env);
    try {
      await second.waitForLog((l) => l.msg === 'run succeeded' && l.runId === runId);
    } finally {
      await second.stop('SIGTERM');
    }
    const { run, attempts } = await s.inspect(runId);
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual(attempts.map((a) => a.status), ['interrupted', 'succeeded']);
    assert.equal(s.completions().length, 1);
  });
});
