/**
 * `npm start` as Docker, systemd and pm2 run it: they send SIGTERM to the process they started,
 * which is npm. The service must receive it and stop gracefully, and nothing may keep running
 * afterwards (npm's shell exec's the service, and npm forwards the signal to its child).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { freePort } from '../helpers/api.ts';
import { BASE_ENV as CLEAN_ENV, runCli } from '../helpers/cli-run.ts';
import { ServeProcess, type LogLine } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** The parent pid of a live process (from /proc), or null once it is gone (a zombie counts as gone). */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return state === 'Z' ? null : Number(ppid);
  } catch {
    return null;
  }
}

/**
 * The project as npm sees it, in a directory of its own: package.json, .npmrc and the build script
 * copied, the rest linked. Its prestart builds into its own dist/, so it never races another test
 * that builds the checkout's (test/e2e/demo.test.ts).
 */
function projectCopy(): string {
  const root = tempDir('ns-npm-start-project-');
  for (const file of ['package.json', '.npmrc']) copyFileSync(join(ROOT, file), join(root, file));
  cpSync(join(ROOT, 'scripts'), join(root, 'scripts'), { recursive: true });
  for (const dir of ['src', 'bin', 'examples', 'node_modules']) symlinkSync(realpathSync(join(ROOT, dir)), join(root, dir));
  return root;
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await delay(100)) if (parentOf(pid) === null) return true;
  return parentOf(pid) === null;
}

describe('npm start', { skip: existsSync('/proc/self/stat') ? false : 'needs /proc' }, () => {
  test('SIGTERM to npm reaches the service: it shuts down gracefully and no process is left behind', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const root = projectCopy();
    const env = { ...CLEAN_ENV, NIGHTSHIFT_DATA_DIR: join(tempDir('ns-npm-start-'), 'data'), NIGHTSHIFT_PORT: String(port), NIGHTSHIFT_SHUTDOWN_GRACE: '5s' };
    // Its own process group, so that whatever the test leaves behind can be cleaned up at the end.
    const npm = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const exited = once(npm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const lines: LogLine[] = [];
    let stderr = '';
    npm.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const listening = new Promise<LogLine>((resolve, reject) => {
      createInterface({ input: npm.stdout }).on('line', (text) => {
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          return; // npm's own banner lines
        }
        lines.push(line);
        if (line.msg === 'HTTP API listening') resolve(line);
      });
      void exited.then(([code]) => reject(new Error(`npm start exited (${code}) before the service listened:\n${stderr}`)));
    });
    let servicePid: number | null = null;
    try {
      const ready = await listening;
      servicePid = Number(ready.pid);
      assert.ok(servicePid > 0, JSON.stringify(ready));
      const parent = parentOf(servicePid);

      npm.kill('SIGTERM');
      const [code, signal] = await Promise.race([exited, delay(60_000, undefined, { ref: false }).then(() => [null, 'timeout' as const] as const)]);
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, `npm exits 0 after a graceful stop:\n${stderr}`);
      assert.ok(await gone(servicePid, 5_000), `the service (pid ${servicePid}) is not left running with parent ${parentOf(servicePid)}`);
      assert.ok(lines.some((l) => l.msg === 'shutting down: no new runs; waiting for running ones' && l.signal === 'SIGTERM'), 'the service received the SIGTERM');
      assert.ok(lines.some((l) => l.msg === 'nightshift engine stopped'), 'and finished its ordered shutdown');
      assert.equal(parent, npm.pid, "the service was npm's own child (the start script exec's it): npm forwards signals to its child");
    } finally {
      if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is empty
      }
      if (servicePid !== null && parentOf(servicePid) !== null) process.kill(servicePid, 'SIGKILL');
    }
  });

  test('a signal delivered twice at once (systemd signals every process of the unit, npm forwards it) is one graceful stop', { timeout: 90_000 }, async () => {
    const env = {
      ...CLEAN_ENV,
      NIGHTSHIFT_CONFIG: join(ROOT, 'test', 'fixtures', 'cli', 'loop.yaml'),
      NIGHTSHIFT_DATA_DIR: join(tempDir('ns-double-signal-'), 'data'),
      NIGHTSHIFT_PORT: '0',
      NIGHTSHIFT_LOG_LEVEL: 'info',
      NIGHTSHIFT_POLL: '200ms',
      NIGHTSHIFT_SHUTDOWN_GRACE: '2s',
    };
    const trigger = await runCli(env, ['trigger', 'slow', '--json']);
    assert.equal(trigger.code, 0, trigger.stderr);
    const runId = (JSON.parse(trigger.stdout) as { id: string }).id;
    const serve = new ServeProcess(env);
    try {
      // A running job keeps the drain busy for the grace, so the copy arrives while it is under way.
      await serve.waitForLog((l) => l.msg === 'run started' && l.runId === runId);
      serve.proc.kill('SIGTERM');
      await delay(20);
      serve.proc.kill('SIGTERM');
      assert.deepEqual(await serve.exited, { code: 0, signal: null }, 'not the "second signal" exit (130)');
      assert.ok(serve.lines.some((l) => l.msg === 'run requeued by shutdown' && l.runId === runId), 'the running job got the grace and was put back');
      assert.ok(serve.lines.some((l) => l.msg === 'nightshift engine stopped'));
    } finally {
      await serve.stop('SIGKILL');
    }
  });
});
