import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandSpec, type ExecOptions, type OutputStream } from '../../src/runs/exec/index.ts';
import { launcherPids } from '../../src/runs/exec/launcher.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/commands/${name}`, import.meta.url));
const emit = (...args: string[]): CommandSpec => ({ command: process.execPath, args: [fixture('emit.mjs'), ...args] });
const opts = (over: Partial<ExecOptions> = {}): ExecOptions => ({
  signal: new AbortController().signal,
  killGraceMs: 60_000, // a timer left behind would keep this test file alive for a minute
  logTailBytes: 64 * 1024,
  ...over,
});
const scratch = mkdtempSync(path.join(tmpdir(), 'ns-exec-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Dead means ESRCH, or a zombie (PID 1 in some containers never reaps orphans). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('runCommand', () => {
  it('starts the process through a launcher by default, and from this process when told not to', async () => {
    const parentOf = async (launcher?: boolean) => {
      const r = await runCommand({ command: process.execPath, args: ['-e', 'console.log(process.ppid)'] }, opts(launcher === undefined ? {} : { launcher }));
      assert.equal(r.status, 'succeeded');
      return Number(r.logTail.trim());
    };
    const viaLauncher = await parentOf();
    assert.ok(launcherPids().includes(viaLauncher), `started by a launcher (${launcherPids().join(', ')}), not by ${viaLauncher}`);
    assert.equal(await parentOf(false), process.pid);
  });

  it('succeeds and collects metrics; progress reaches onLine but not the tail', async () => {
    const lines: Array<[OutputStream, string]> = [];
    const pids: number[] = [];
    const r = await runCommand(emit('out:hello', 'out:::metric loss=0.25', 'out:::metric rows=1e3', 'out:::metric bad=abc', 'out:::progress 50%', 'err:warn'), opts({ onLine: (s, l) => lines.push([s, l]), onSpawn: (pid) => pids.push(pid) }));
    assert.equal(r.status, 'succeeded');
    assert.equal(r.exitCode, 0);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.metrics, { loss: 0.25, rows: 1000 });
    assert.equal(pids.length, 1);
    assert.ok(lines.some(([s, l]) => s === 'stdout' && l === '::progress 50%'));
    assert.ok(lines.some(([s, l]) => s === 'stderr' && l === 'warn'));
    assert.match(r.logTail, /^hello\n/);
    assert.match(r.logTail, /\[nightshift\] ignored directive: ::metric bad: "abc" is not a finite number/);
    assert.match(r.logTail, /\[stderr\] warn\n/);
    assert.doesNotMatch(r.logTail, /::progress/);
  });

  it('reports ::outcome only when the process exits 0', async () => {
    const ok = await runCommand(emit('out:::outcome no_data'), opts());
    assert.equal(ok.status, 'succeeded');
    assert.equal(ok.outcome, 'no_data');
    const bad = await runCommand(emit('out:::outcome no_data', 'exit:1'), opts());
    assert.equal(bad.status, 'failed');
    assert.equal(bad.outcome, undefined);
  });

  it('treats exit 75 as transient', async () => {
    const r = await runCommand(emit('err:database busy', 'exit:75'), opts());
    assert.equal(r.status, 'transient');
    assert.equal(r.exitCode, 75);
    assert.match(r.error ?? '', /code 75.*database busy/);
  });

  it('treats exit 2 as failed, naming the code and the last stderr line', async () => {
    const r = await runCommand(emit('err:first', 'err:boom: bad input', 'out:after', 'exit:2'), opts());
    assert.equal(r.status, 'failed');
    assert.equal(r.exitCode, 2);
    assert.equal(r.error, 'exited with code 2: boom: bad input');
  });

  it('reports a missing command with its cwd, without calling onSpawn', async () => {
    let spawned = false;
    const r = await runCommand({ command: 'nightshift-no-such-command', cwd: scratch }, opts({ onSpawn: () => (spawned = true) }));
    assert.equal(r.status, 'failed');
    assert.equal(r.error, `command not found: nightshift-no-such-command (cwd: ${scratch})`);
    assert.equal(spawned, false);
    assert.match(r.logTail, /command not found/);
  });

  it('reports a missing working directory and a non-executable file', async () => {
    const missing = await runCommand({ command: 'true', cwd: path.join(scratch, 'nope') }, opts());
    assert.equal(missing.status, 'failed');
    assert.match(missing.error ?? '', /working directory not found: .*nope \(command: true\)/);

    const script = path.join(scratch, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o644);
    const denied = await runCommand({ command: script }, opts());
    assert.equal(denied.status, 'failed');
    assert.match(denied.error ?? '', /permission denied.*not-executable\.sh \(cwd: /);
  });

  it('passes env: process.env, then spec.env, then extraEnv', async () => {
    const r = await runCommand({ ...emit('env:A', 'env:B', 'env:PATH'), env: { A: 'spec', B: 'spec' }, cwd: scratch }, opts({ extraEnv: { B: 'extra' } }));
    assert.equal(r.status, 'succeeded');
    assert.match(r.logTail, /^A=spec\nB=extra\nPATH=(?!<unset>)/);
  });

  it('keeps the last N bytes of output', async () => {
    const r = await runCommand(emit('many:2000:line'), opts({ logTailBytes: 256 }));
    assert.equal(r.status, 'succeeded');
    assert.ok(Buffer.byteLength(r.logTail) <= 256);
    assert.ok(r.logTail.endsWith('line 1998\nline 1999\n'));
  });

  it('joins a line written in pieces, including a split multi-byte character', async () => {
    const lines: string[] = [];
    const euro = Buffer.from('€').toString('hex');
    const r = await runCommand(emit('raw:hel', 'wait:30', 'raw:lo wor', 'rawbytes:' + euro.slice(0, 2), 'wait:30', 'rawbytes:' + euro.slice(2), 'out:ld'), opts({ onLine: (_s, l) => lines.push(l) }));
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(lines, ['hello wor€ld']);
  });

  it('does not spawn when the signal is already aborted', async () => {
    let spawned = false;
    const r = await runCommand(emit('out:x'), opts({ signal: AbortSignal.abort(), onSpawn: () => (spawned = true) }));
    assert.equal(r.status, 'aborted');
    assert.equal(spawned, false);
  });

  it('on abort sends SIGTERM to the group and a well-behaved process ends', async () => {
    const controller = new AbortController();
    const r = await runCommand({ command: process.execPath, args: [fixture('wait-for-term.mjs')] }, opts({ signal: controller.signal, onLine: (_s, l) => l === 'ready' && controller.abort() }));
    assert.equal(r.status, 'aborted');
    assert.equal(r.signal, 'SIGTERM');
    assert.doesNotMatch(r.logTail, /SIGKILL/);
  });

  it('escalates to SIGKILL after the grace period and leaves no process of the group running', async () => {
    const controller = new AbortController();
    const pids: Record<string, number> = {};
    let leader = 0;
    const killGraceMs = 200;
    const r = await runCommand({ command: 'sh', args: [fixture('ignore-term.sh')] }, opts({
      signal: controller.signal,
      killGraceMs,
      onSpawn: (pid) => (leader = pid),
      onLine: (_s, line) => {
        const m = /^(\w+)=(\d+)$/.exec(line);
        if (m?.[1] && m[2]) pids[m[1]] = Number(m[2]);
        if (line === 'ready') controller.abort();
      },
    }));
    assert.equal(r.status, 'aborted');
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(r.durationMs >= killGraceMs);
    assert.match(r.logTail, /sending SIGKILL/);
    assert.equal(pids.child, leader);
    assert.ok(pids.grandchild);
    assert.equal(isRunning(leader), false);
    assert.equal(isRunning(pids.grandchild), false);
  });

  it('stops processes the command left running in its group after a normal exit', async () => {
    let grandchild = 0;
    const r = await runCommand({ command: 'sh', args: [fixture('leave-orphan.sh')] }, opts({ killGraceMs: 2000, onLine: (_s, l) => (grandchild = Number(/^grandchild=(\d+)$/.exec(l)?.[1] ?? grandchild)) }));
    assert.equal(r.status, 'succeeded');
    assert.ok(grandchild > 0);
    assert.equal(isRunning(grandchild), false);
    assert.match(r.logTail, /stopping what it left running/);
  });

  it('survives a throwing onLine listener', async () => {
    const r = await runCommand(emit('out:a', 'out:b'), opts({ onLine: () => { throw new Error('listener bug'); } }));
    assert.equal(r.status, 'succeeded');
    assert.equal(r.logTail, 'a\nb\n');
  });
});
