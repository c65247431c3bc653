/**
 * Starts job processes through the launcher process (launcher-main.ts) and hands back an object
 * that behaves like the ChildProcess it started: `pid`, `stdout`/`stderr` streams, `exit`, `close`
 * and `error` events — so supervision (run-command.ts) is the same whichever way a job started.
 * Falls back to spawning directly when the launcher cannot run (it failed to start or died); spawns
 * directly when the settings say so (NIGHTSHIFT_LAUNCHER=false). Launchers are shared by every engine
 * of a process and end with it: they hold nothing open that would keep it alive.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setPriority } from 'node:os';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { entryUrl } from '../../entries.ts';
import type { EnvDelta } from './launcher-main.ts';

export interface StartSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /**
   * CPU priority (nice value) given to the process as soon as it exists, by whoever started it: the
   * launcher, not this event loop. Failing to set it (no permission) is not fatal.
   */
  priority?: number;
}

/** What supervision needs of a started process. */
export interface JobProcess extends EventEmitter {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream & { destroy(): void };
  readonly stderr: NodeJS.ReadableStream & { destroy(): void };
}

type FromLauncher =
  | { t: 'ready' }
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'failed'; id: number; code: string; message: string }
  | { t: 'data'; id: number; fd: 1 | 2; chunk: Uint8Array }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'close'; id: number };

type ToLauncher = { t: 'base'; env: NodeJS.ProcessEnv } | { t: 'spawn'; id: number; command: string; args: readonly string[]; cwd: string; env: EnvDelta; priority: number | undefined };

/**
 * What `env` changes of `base`. A job's environment is the service's plus a few variables of the run,
 * so the delta is a handful of names where the whole environment would be dozens.
 */
export function envDelta(base: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv): EnvDelta {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const name in env) {
    const value = env[name];
    if (value !== undefined && base[name] !== value) set[name] = value;
  }
  for (const name in base) if (base[name] !== undefined && env[name] === undefined) unset.push(name);
  return { set, unset };
}

class RelayedProcess extends EventEmitter implements JobProcess {
  pid: number | undefined = undefined;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();

  /** Ends both streams unless the supervisor already destroyed them. */
  endStreams(): void {
    for (const s of [this.stdout, this.stderr]) if (!s.destroyed && !s.writableEnded) s.end();
  }
}

/** Detached, as through a launcher: the job leads a session of its own, out of reach of the terminal's ^C. */
function spawnDirect(spec: StartSpec): ChildProcess {
  const child = spawn(spec.command, [...spec.args], { cwd: spec.cwd, env: spec.env, shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (spec.priority !== undefined && child.pid !== undefined) {
    try {
      setPriority(child.pid, spec.priority);
    } catch {
      // as in the launcher
    }
  }
  return child;
}

class Launcher {
  readonly #proc: ChildProcess;
  readonly #jobs = new Map<number, { job: RelayedProcess; started: (ok: boolean) => void }>();
  #nextId = 1;
  #dead = false;
  /** Its code runs and listens: a start sent now is not held up by its boot. */
  #ready = false;
  /** Starts sent and not yet answered (spawned or failed): while one is pending, the next waits behind it. */
  #starting = 0;
  /** The environment the launcher was given; starts send only how a job's differs from it. */
  readonly #base: NodeJS.ProcessEnv = { ...process.env };
  /** Messages of this turn, sent as one when it ends. */
  #outbox: ToLauncher[] = [{ t: 'base', env: this.#base }];
  #flushing = false;

  constructor() {
    const entry = fileURLToPath(entryUrl('launcher'));
    const loader = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
    // Detached: a session (and process group) of its own, like the jobs it starts, so a terminal's ^C
    // (SIGINT to the foreground process group) reaches nightshift alone, whose shutdown stops the
    // jobs and requeues their runs. It still ends with nightshift: when the IPC channel closes.
    // --single-threaded: no V8 helper threads (concurrent GC and compilation). Every thread that
    // runs in this process when it forks or writes a page shared with a fresh child takes part in
    // the TLB shootdown that follows; it has little JavaScript to compile and a small heap.
    this.#proc = fork(entry, [], { execArgv: [...loader, '--single-threaded'], env: this.#base, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
    // Neither the process nor its channel keeps nightshift alive; it exits when nightshift does.
    this.#proc.unref();
    this.#proc.channel?.unref();
    this.#proc.on('message', (batch: FromLauncher[]) => {
      for (const m of batch) this.#onMessage(m);
    });
    this.#proc.once('exit', () => this.#onDeath());
    this.#proc.once('error', () => this.#onDeath());
  }

  get alive(): boolean {
    return !this.#dead;
  }

  get ready(): boolean {
    return this.#ready && !this.#dead;
  }

  get starting(): number {
    return this.#starting;
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  /** Resolves once the process exists (pid set), or with null when the launcher could not ask. */
  start(spec: StartSpec): Promise<JobProcess | null> {
    const id = this.#nextId++;
    const job = new RelayedProcess();
    this.#starting++;
    return new Promise((resolve) => {
      this.#jobs.set(id, {
        job,
        started: (ok) => {
          this.#starting--;
          resolve(ok ? job : null);
        },
      });
      // While a job runs its channel must not be unref'd away, or its output could be lost at exit.
      this.#proc.channel?.ref();
      this.#post({ t: 'spawn', id, command: spec.command, args: spec.args, cwd: spec.cwd, env: envDelta(this.#base, spec.env), priority: spec.priority });
    });
  }

  /** Queues a message; the starts of one turn (a claim starts its runs in one) go out as one. */
  #post(message: ToLauncher): void {
    this.#outbox.push(message);
    if (this.#flushing) return;
    this.#flushing = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushing = false;
    const batch = this.#outbox;
    this.#outbox = [];
    const ids = batch.flatMap((m) => (m.t === 'spawn' ? [m.id] : []));
    if (this.#dead) {
      for (const id of ids) this.#fail(id);
      return;
    }
    try {
      const sent = this.#proc.send(batch, (error) => {
        if (error) for (const id of ids) this.#fail(id);
      });
      if (!sent && this.#dead) for (const id of ids) this.#fail(id);
    } catch {
      for (const id of ids) this.#fail(id);
    }
  }

  #onMessage(m: FromLauncher): void {
    if (m.t === 'ready') {
      this.#ready = true;
      return;
    }
    const entry = this.#jobs.get(m.id);
    if (!entry) return;
    const { job } = entry;
    switch (m.t) {
      case 'spawned':
        job.pid = m.pid;
        entry.started(true);
        break;
      case 'failed': {
        const error = Object.assign(new Error(m.message), { code: m.code }) as NodeJS.ErrnoException;
        entry.started(true);
        job.endStreams();
        // Events go out on a later turn: the caller attaches its listeners when start() resolves,
        // and several messages can arrive (and be handled) in one turn.
        setImmediate(() => {
          job.emit('error', error);
          job.emit('close', null, null);
        });
        this.#forget(m.id);
        break;
      }
      case 'data': {
        // The supervisor may have stopped reading (destroyed the stream) while the job still writes.
        const stream = m.fd === 1 ? job.stdout : job.stderr;
        if (!stream.destroyed && !stream.writableEnded) stream.write(Buffer.from(m.chunk));
        break;
      }
      case 'exit':
        setImmediate(() => job.emit('exit', m.code, m.signal));
        break;
      case 'close':
        job.endStreams();
        // 'close' after the streams have delivered what they hold, as a ChildProcess does.
        setImmediate(() => job.emit('close'));
        this.#forget(m.id);
        break;
    }
  }

  #forget(id: number): void {
    this.#jobs.delete(id);
    if (this.#jobs.size === 0) this.#proc.channel?.unref();
  }

  #fail(id: number): void {
    const entry = this.#jobs.get(id);
    if (!entry) return;
    this.#jobs.delete(id);
    entry.started(false);
  }

  /** The launcher died: jobs it was starting fall back to direct spawn; running ones end as lost. */
  #onDeath(): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const [id, entry] of this.#jobs) {
      if (entry.job.pid === undefined) {
        this.#fail(id);
        continue;
      }
      const { job } = entry;
      if (!job.stderr.destroyed && !job.stderr.writableEnded) job.stderr.write('nightshift: the launcher process ended; this process\'s output and exit status are lost\n');
      job.endStreams();
      setImmediate(() => {
        job.emit('exit', null, null);
        job.emit('close');
      });
    }
    this.#jobs.clear();
  }
}

/**
 * Launchers are added while every one is busy starting a process, up to MAX_LAUNCHERS. A start
 * blocks its launcher until the new process has exec'd (libuv learns of the exec through a pipe), so
 * one launcher starts one process at a time: ~1-2 ms on a quiet machine, but 40-300 ms measured on a
 * busy one (load 13-31 on 2 cores), where the new process waits for the CPU before it can exec.
 * That wait is the scheduler's, not CPU work, so starts in several launchers overlap and a burst
 * of runs (16 places refilled as fast as processes end) is not queued behind one. On a quiet
 * machine starts rarely overlap and one or two launchers do. Each is a small Node process (~40 MB).
 */
export const MAX_LAUNCHERS = 4;
const launchers: Launcher[] = [];

function pickLauncher(): Launcher {
  for (let i = launchers.length - 1; i >= 0; i--) if (!launchers[i]!.alive) launchers.splice(i, 1);
  const ready = launchers.filter((l) => l.ready);
  const idle = ready.find((l) => l.starting === 0);
  if (idle) return idle;
  if (launchers.length < MAX_LAUNCHERS) {
    const added = new Launcher();
    launchers.push(added);
    // A ready launcher busy with one start is sooner than a new one's boot (~50 ms and more).
    if (ready.length === 0) return added;
  }
  const candidates = ready.length > 0 ? ready : launchers;
  return candidates.reduce((a, b) => (b.starting < a.starting ? b : a));
}

/** The launcher processes running now (started on first use; for diagnostics and tests). */
export function launcherPids(): number[] {
  return launchers.flatMap((l) => (l.alive && l.pid !== undefined ? [l.pid] : []));
}

/** Starts a job process: through a launcher when asked and one runs, directly otherwise. */
export async function startProcess(spec: StartSpec, options: { launcher: boolean } = { launcher: true }): Promise<JobProcess> {
  if (options.launcher) {
    try {
      const job = await pickLauncher().start(spec);
      if (job) return job;
    } catch {
      // fall through to a direct spawn
    }
  }
  return spawnDirect(spec) as unknown as JobProcess;
}
