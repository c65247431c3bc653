/**
 * Runs one command in a child process, in its own process group, and reports how it ended.
 * Never throws: every failure (including failing to start) becomes an ExecResult.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SECRET_ENV } from '../../config/master-key-env.ts';
import { DirectiveCollector } from './directives.ts';
import { startProcess, type JobProcess } from './launcher.ts';
import { LineSplitter, LogTail } from './log-tail.ts';
import { GroupTerminator, groupAlive } from './process-group.ts';
import { EXIT_TEMPFAIL, type CommandSpec, type ExecOptions, type ExecResult, type OutputStream } from './types.ts';

/** After the process exits, how long we wait for its output pipes to close (beyond any kill grace). */
const DRAIN_MS = 1000;
const MAX_ERROR_LINE = 500;
const TRANSIENT_SPAWN_ERRORS = new Set(['EAGAIN', 'EMFILE', 'ENFILE', 'ENOMEM']);

type ResultParts = Omit<ExecResult, 'metrics' | 'logTail' | 'durationMs'> & { metrics?: Record<string, number> };
type Done = (parts: ResultParts) => ExecResult;

export function runCommand(spec: CommandSpec, opts: ExecOptions): Promise<ExecResult> {
  return executeCommand(spec, opts, new LogTail(opts.logTailBytes));
}

/** runCommand writing into a caller-owned tail (a pipeline shares one across its steps). */
export async function executeCommand(spec: CommandSpec, opts: ExecOptions, tail: LogTail): Promise<ExecResult> {
  const t0 = performance.now();
  const done: Done = (parts) => {
    if (parts.error) tail.note(parts.error);
    return { metrics: {}, ...parts, logTail: tail.toString(), durationMs: Math.round(performance.now() - t0) };
  };
  const cwd = path.resolve(spec.cwd ?? '.');
  const early = { exitCode: null, signal: null };
  if (opts.signal.aborted) return done({ ...early, status: 'aborted', error: 'aborted before start' });

  let child: JobProcess;
  try {
    child = await startProcess({ command: spec.command, args: spec.args ?? [], cwd, env: jobEnv(spec.env, opts.extraEnv), ...(opts.priority !== undefined ? { priority: opts.priority } : {}) }, { launcher: opts.launcher ?? true });
  } catch (error) {
    return done({ ...early, status: 'failed', error: `cannot start ${spec.command}: ${(error as Error).message}` });
  }
  return supervise(child, spec, cwd, opts, tail, done);
}

/**
 * A job inherits the service's environment but never its master key (a training child is handed it
 * in spec.env). Read anew for every job (the service's environment may change while it runs), in
 * one copy: each read of process.env is a call into the C++ environment.
 */
function jobEnv(...layers: (Readonly<Record<string, string>> | undefined)[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SECRET_ENV) if (name in env) env[name] = undefined;
  return Object.assign(env, ...layers);
}

type Ended = { code: number | null; signal: NodeJS.Signals | null } | { error: NodeJS.ErrnoException };

async function supervise(child: JobProcess, spec: CommandSpec, cwd: string, opts: ExecOptions, tail: LogTail, done: Done): Promise<ExecResult> {
  const directives = new DirectiveCollector(tail);
  let lastStderr = '';
  const emit = (stream: OutputStream, line: string): void => {
    try {
      opts.onLine?.(stream, line);
    } catch {
      // A listener's bug must not break supervision of the process.
    }
  };
  const out = new LineSplitter((line) => {
    if (directives.accept(line)) tail.line('stdout', line);
    emit('stdout', line);
  });
  const err = new LineSplitter((line) => {
    if (line.trim() !== '') lastStderr = line;
    tail.line('stderr', line);
    emit('stderr', line);
  });
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));

  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ended = new Promise<Ended>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ error });
      else tail.note(`child process error: ${error.message}`);
    });
  });

  const pid = child.pid;
  if (pid === undefined) {
    const end = await ended;
    child.stdout?.destroy();
    child.stderr?.destroy();
    // The working directory is looked at only now: a start that fails for want of it fails with
    // ENOENT or ENOTDIR, like a missing command, and a check before every start cost a round trip
    // through libuv's thread pool (shared with the store's fsyncs) on the way to every process.
    const cwdProblem = await checkDirectory(cwd);
    if (cwdProblem) return done({ exitCode: null, signal: null, status: 'failed', error: `${cwdProblem} (command: ${spec.command})` });
    return done({ exitCode: null, signal: null, ...spawnFailure(end, spec, cwd) });
  }
  try {
    opts.onSpawn?.(pid);
  } catch {
    // as with onLine
  }

  let exited = false;
  let aborted = false;
  const terminator = new GroupTerminator(pid, opts.killGraceMs, (text) => tail.note(text));
  const onAbort = (): void => {
    if (!exited && !aborted) {
      aborted = true;
      tail.note(`aborted; sending SIGTERM to process group ${pid}`);
    }
    terminator.stop();
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });
  if (opts.signal.aborted) onAbort();

  try {
    const end = await ended;
    exited = true;
    const { code, signal } = 'error' in end ? { code: null, signal: null } : end;
    if (groupAlive(pid)) {
      if (!terminator.started) tail.note(`process exited; stopping what it left running in process group ${pid}`);
      terminator.stop();
    }
    const drainMs = terminator.started ? opts.killGraceMs + DRAIN_MS : DRAIN_MS;
    if (!(await settlesWithin(closed, drainMs))) {
      tail.note('output pipes still open after exit (a process outside the group holds them); stopped reading');
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    if (terminator.started) await terminator.waitGone(DRAIN_MS);
    out.end();
    err.end();

    if (aborted) return done({ status: 'aborted', exitCode: code, signal, metrics: directives.metrics, error: `aborted (${describeEnd(code, signal)})` });
    const stderrHint = lastStderr ? `: ${lastStderr.slice(0, MAX_ERROR_LINE)}` : '';
    if (code === 0) {
      return done({ status: 'succeeded', exitCode: 0, signal: null, metrics: directives.metrics, ...(directives.outcome ? { outcome: directives.outcome } : {}) });
    }
    const status = code === EXIT_TEMPFAIL ? 'transient' : 'failed';
    return done({ status, exitCode: code, signal, metrics: directives.metrics, error: `${describeEnd(code, signal)}${stderrHint}` });
  } finally {
    opts.signal.removeEventListener('abort', onAbort);
    terminator.dispose();
  }
}

function describeEnd(code: number | null, signal: string | null): string {
  if (code === EXIT_TEMPFAIL) return `exited with code ${code} (temporary failure)`;
  if (code !== null) return `exited with code ${code}`;
  return signal ? `killed by signal ${signal}` : 'ended without exit status';
}

function spawnFailure(end: Ended, spec: CommandSpec, cwd: string): Pick<ExecResult, 'status' | 'error'> {
  const error = 'error' in end ? end.error : undefined;
  const code = error?.code ?? 'UNKNOWN';
  const where = `(cwd: ${cwd})`;
  if (code === 'ENOENT') return { status: 'failed', error: `command not found: ${spec.command} ${where}` };
  if (code === 'EACCES') return { status: 'failed', error: `command not executable (permission denied): ${spec.command} ${where}` };
  const message = `cannot start ${spec.command} ${where}: ${error?.message ?? code}`;
  return { status: TRANSIENT_SPAWN_ERRORS.has(code) ? 'transient' : 'failed', error: message };
}

async function checkDirectory(dir: string): Promise<string | null> {
  try {
    return (await stat(dir)).isDirectory() ? null : `working directory is not a directory: ${dir}`;
  } catch {
    return `working directory not found: ${dir}`;
  }
}

/** True if `p` settles within `ms`; the timer is always cleared. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
