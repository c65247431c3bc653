/** Job processes start through launcher processes: output, exit status, spreading, and a launcher's death. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { describe, test } from 'node:test';
import { launcherPids, startProcess, type JobProcess } from '../../src/runs/exec/launcher.ts';

const node = (code: string) => ({ command: process.execPath, args: ['-e', code], cwd: process.cwd(), env: { ...process.env } });

async function outcome(job: JobProcess): Promise<{ out: string; err: string; code: unknown }> {
  let out = '';
  let err = '';
  job.stdout.on('data', (d: Buffer) => (out += d.toString()));
  job.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // Both listeners up front: a ChildProcess may emit 'close' right after 'exit'.
  const exited = once(job, 'exit') as Promise<[unknown]>;
  await once(job, 'close');
  const [code] = await exited;
  return { out, err, code };
}

describe('launcher', { timeout: 30_000 }, () => {
  test('relays output and the exit code, and spreads starts over one launcher per core (up to two)', async () => {
    // Listeners go on as each start resolves, as supervision does: a quick job can end before the others have started.
    const started = await Promise.all(
      [1, 2, 3, 4].map((i) => startProcess(node(`console.log("job ${i}"); console.error("e${i}"); process.exit(${i})`)).then((job) => ({ job, result: outcome(job) }))),
    );
    const jobs = started.map((s) => s.job);
    const results = await Promise.all(started.map((s) => s.result));
    assert.deepEqual(results.map((r) => r.out.trim()), ['job 1', 'job 2', 'job 3', 'job 4']);
    assert.deepEqual(results.map((r) => r.err.trim()), ['e1', 'e2', 'e3', 'e4']);
    assert.deepEqual(results.map((r) => r.code), [1, 2, 3, 4]);
    const pids = launcherPids();
    assert.equal(pids.length, Math.min(2, availableParallelism()));
    assert.ok(jobs.every((j) => j.pid !== undefined && !pids.includes(j.pid)), 'jobs are processes of their own');
  });

  test('a command that cannot start fails with its error, as a direct spawn would', async () => {
    const job = await startProcess({ command: '/nonexistent/binary', args: [], cwd: process.cwd(), env: { ...process.env } });
    const [error] = (await once(job, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ENOENT');
  });

  test('when a launcher dies, its running jobs end as lost (said on stderr) and new jobs still start', async () => {
    // Launchers never keep a process alive (nightshift's own handles do); this test has no others.
    const alive = setInterval(() => undefined, 1_000);
    const jobs = await Promise.all([1, 2].map(() => startProcess(node('setTimeout(() => {}, 60_000)'))));
    const ends = jobs.map(outcome);
    for (const pid of launcherPids()) process.kill(pid, 'SIGKILL');
    const lost = await Promise.all(ends).finally(() => clearInterval(alive));
    for (const r of lost) {
      assert.equal(r.code, null);
      assert.match(r.err, /launcher process ended/);
    }
    // The jobs themselves outlive it (detached, in their own groups), as after a crash of nightshift: clean them up.
    for (const job of jobs) if (job.pid !== undefined) process.kill(-job.pid, 'SIGKILL');
    const after = await outcome(await startProcess(node('console.log("still here")')));
    assert.equal(after.out.trim(), 'still here');
    assert.equal(after.code, 0);
  });
});
