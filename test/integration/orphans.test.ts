/**
 * Orphan clean-up kills a recorded pid (and its process group) only while it is still the run's:
 * the process carries the run's NIGHTSHIFT_RUN_ID and attempt, or it started when the attempt did
 * (a job that replaced its environment). A pid that now belongs to an unrelated process — after a
 * reboot, or reused on a long-running host — is left alone. Real processes throughout.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { after, describe, test } from 'node:test';
import { killOrphanedGroup, processStartedAt } from '../../src/runs/orphans.ts';

const spawned: ChildProcess[] = [];

/** A process in its own process group (as a job is), which lives until killed. */
async function start(env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '', ...env } });
  spawned.push(child);
  await once(child, 'spawn');
  return child.pid!;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number): Promise<boolean> {
  const child = spawned.find((c) => c.pid === pid)!;
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return !alive(pid);
}

const run = (pid: number, startedAt: number, attempt = 1) => ({ id: 'run_orphan_test', pid, host: hostname(), attempt, started_at: startedAt });

describe('orphan clean-up on recovery', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  after(() => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  test('an unrelated process holding the recorded pid (started long after the run) is not killed, nor its group', async () => {
    const pid = await start({});
    // The run started an hour ago, before the machine rebooted; its pid now belongs to this process.
    assert.equal(killOrphanedGroup(run(pid, Date.now() - 3_600_000)), false);
    assert.ok(alive(pid), 'the unrelated process lives');
    // Nor one the run's recorded pid could not be: a run recorded with a start in the future of this process.
    assert.equal(killOrphanedGroup(run(pid, Date.now() + 3_600_000)), false);
    assert.ok(alive(pid));
  });

  test("the run's own process (its NIGHTSHIFT_RUN_ID and attempt in its environment) is killed with its group", async () => {
    const pid = await start({ NIGHTSHIFT_RUN_ID: 'run_orphan_test', NIGHTSHIFT_ATTEMPT: '2' });
    assert.equal(killOrphanedGroup(run(pid, Date.now() - 3_600_000, 3)), false, "another attempt's process is not this attempt's");
    assert.ok(alive(pid));
    assert.equal(killOrphanedGroup(run(pid, Date.now() - 3_600_000, 2)), true);
    assert.ok(await gone(pid));
  });

  test('a process without the marker that started when the attempt did (a job that replaced its environment) is killed', async () => {
    const startedAt = Date.now();
    const pid = await start({});
    const at = processStartedAt(pid);
    assert.ok(at !== null && Math.abs(at - startedAt) < 3_000, `start time from /proc: ${at} vs ${startedAt}`);
    assert.equal(killOrphanedGroup(run(pid, startedAt)), true);
    assert.ok(await gone(pid));
  });

  test('a pid that no longer exists: nothing to kill', async () => {
    const pid = await start({});
    process.kill(pid, 'SIGKILL');
    assert.ok(await gone(pid));
    assert.equal(killOrphanedGroup(run(pid, Date.now())), false);
  });
});
