/** Job processes start through launcher processes: output, exit status, spreading, and a launcher's death. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { launcherPids, MAX_LAUNCHERS, startProcess, type JobProcess } from '../../src/runs/exec/launcher.ts';
import { groupAlive } from '../../src/runs/exec/process-group.ts';
import { bytesWritten, processAlive, StandIn, TICKER, type StandInEvent } from '../helpers/launcher-stand-in.ts';
import { PtyProcess, ptyUnavailable } from '../helpers/pty.ts';

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

describe('launcher', { timeout: 60_000 }, () => {
  test('relays output and the exit code, and a start that finds every launcher busy gets one of its own (up to MAX_LAUNCHERS)', async () => {
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
    // Started together: none was ready or free when the next came, so each went to a launcher of its own.
    assert.equal(pids.length, Math.min(4, MAX_LAUNCHERS));
    assert.ok(jobs.every((j) => j.pid !== undefined && !pids.includes(j.pid)), 'jobs are processes of their own');
  });

  test('starts one after the other go to a free launcher: no launcher is added', async () => {
    await outcome(await startProcess(node('')));
    const before = launcherPids();
    for (let i = 0; i < 3; i++) assert.equal((await outcome(await startProcess(node(`process.exit(${i})`)))).code, i);
    assert.deepEqual(launcherPids(), before);
    assert.ok(before.length <= MAX_LAUNCHERS);
  });

  test('a command that cannot start fails with its error, as a direct spawn would', async () => {
    const job = await startProcess({ command: '/nonexistent/binary', args: [], cwd: process.cwd(), env: { ...process.env } });
    const [error] = (await once(job, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ENOENT');
  });

  test('when a launcher dies, its running jobs end as lost (said on stderr) and new jobs still start', async () => {
    // Launchers never keep a process alive (nightshift's own handles do); this test has no others.
    // Kept to the end: the new launcher's start (its ready message) holds no reference either.
    const alive = setInterval(() => undefined, 1_000);
    try {
      const jobs = await Promise.all([1, 2].map(() => startProcess(node('setTimeout(() => {}, 60_000)'))));
      const ends = jobs.map(outcome);
      for (const pid of launcherPids()) process.kill(pid, 'SIGKILL');
      const lost = await Promise.all(ends);
      for (const r of lost) {
        assert.equal(r.code, null);
        assert.match(r.err, /launcher process ended/);
      }
      // The jobs themselves outlive it (detached, in their own groups), as after a crash of nightshift: clean them up.
      for (const job of jobs) if (job.pid !== undefined) process.kill(-job.pid, 'SIGKILL');
      const after = await outcome(await startProcess(node('console.log("still here")')));
      assert.equal(after.out.trim(), 'still here');
      assert.equal(after.code, 0);
    } finally {
      clearInterval(alive);
    }
  });

  test('when its parent is killed (-9) mid-output, the launcher exits quietly and leaves the job to orphan recovery', async () => {
    const parent = new StandIn(spawn(process.execPath, ['--import', import.meta.resolve('tsx'), StandIn.SCRIPT, process.execPath, TICKER, '5'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let jobPid: number | null = null;
    try {
      const started = await parent.waitFor((e) => e.event === 'started');
      jobPid = started.job as number;
      const launchers = started.launchers as number[];
      assert.equal(launchers.length, 1);
      const [launcher] = launchers as [number];
      await parent.waitFor((e) => e.event === 'line' && e.line === 'tick 3 ');
      // The parent dies while the launcher has the job's output to relay: the launcher is held
      // (SIGSTOP) until the job has written more, the parent is killed, and the launcher resumes
      // with both the output and the closed channel waiting. It used to crash on write EPIPE then.
      process.kill(launcher, 'SIGSTOP');
      const before = bytesWritten(jobPid);
      while (bytesWritten(jobPid) === before) await delay(2);
      const exited = once(parent.proc, 'exit');
      parent.proc.kill('SIGKILL');
      await exited;
      process.kill(launcher, 'SIGCONT');
      // The parent's stderr is the launcher's (stdio inherited): it ends once the launcher has exited.
      const stderr = await parent.stderrEnd(10_000);
      assert.ok(!processAlive(launcher), 'the launcher exited with its parent');
      assert.equal(stderr, '', "nothing on the launcher's stderr (no unhandled write EPIPE)");
      assert.ok(groupAlive(jobPid), "the job's process group is still there, for orphan recovery to find and kill");
    } finally {
      if (jobPid !== null) process.kill(-jobPid, 'SIGKILL');
      parent.proc.kill('SIGKILL');
    }
  });

  for (const launcher of [true, false]) {
    const how = launcher ? 'the launcher and the job run on' : 'a job spawned directly (NIGHTSHIFT_LAUNCHER=false) runs on';
    test(`a ^C typed in the terminal reaches only nightshift: ${how}`, { skip: ptyUnavailable() ?? false }, async () => {
      const env = { ...process.env, STAND_IN_LAUNCHER: String(launcher) };
      const terminal = new PtyProcess(process.execPath, ['--import', import.meta.resolve('tsx'), StandIn.SCRIPT, process.execPath, TICKER, '20'], { env });
      const parent = new StandIn(terminal.proc);
      let started: StandInEvent | null = null;
      try {
        started = await parent.waitFor((e) => e.event === 'started');
        assert.equal((started.launchers as number[]).length, launcher ? 1 : 0);
        await parent.waitFor((e) => e.event === 'line' && e.line === 'tick 3 ');
        terminal.interrupt();
        await parent.waitFor((e) => e.event === 'sigint');
        // The terminal signalled its whole foreground group at once. Whatever else got the SIGINT has
        // had it by now: a launcher would be dead (and the job reported ended), a job would say so.
        const ticks = parent.events.filter((e) => e.event === 'line' && e.line?.startsWith('tick ')).length;
        const after = await parent.waitFor((e) => e.event === 'job-exit' || (e.event === 'line' && tickNumber(e) >= ticks + 5));
        assert.equal(after.event, 'line', `the job's output still comes through (${JSON.stringify(after)})`);
        assert.ok(!parent.events.some((e) => e.line === 'job got SIGINT'), 'the job did not get the SIGINT');
        for (const pid of started.launchers as number[]) assert.ok(processAlive(pid), `launcher ${pid} is alive`);
      } finally {
        if (started) {
          process.kill(-(started.job as number), 'SIGKILL');
          process.kill(started.pid as number, 'SIGKILL');
        }
        terminal.proc.kill('SIGKILL');
      }
    });
  }
});

const tickNumber = (e: StandInEvent) => Number(/^tick (\d+)/.exec(e.line ?? '')?.[1] ?? 0);
