/**
 * The launcher: a small helper process that starts job processes for nightshift (see launcher.ts).
 * fork() copies the caller's page tables, so starting a process costs time in proportion to the
 * caller's memory, on the caller's event loop. This process is small and has nothing else to do,
 * so spawning here keeps that cost off the engine's event loop. Only node: built-ins, no
 * dependencies: it must stay small.
 *
 * Protocol (IPC, advanced serialization). Every message is an array of the items below: the
 * items of one turn of either event loop travel as one message (one serialization, one write), so a
 * burst of starts and ends costs a few messages, not four or five per process.
 *   in:  { t: 'base', env } (once, first: the environment the jobs' environments are given against)
 *        { t: 'spawn', id, command, args, cwd, env: { set, unset }, priority? } (env: what differs from base)
 *   out: { t: 'ready' } (once, when it listens)
 *        { t: 'spawned', id, pid } | { t: 'failed', id, code, message }
 *        { t: 'data', id, fd: 1 | 2, chunk: Buffer } | { t: 'exit', id, code, signal } | { t: 'close', id }
 * Each spawn forks this process: afterwards every page it writes faults once more (copy-on-write),
 * at ~20 µs a fault on a virtualized host. What it allocates and writes per process is therefore
 * the launcher's main cost after the fork itself, and why the messages are batched and small.
 * Signals are sent by nightshift itself to the job's process group (same user); the launcher only
 * starts processes, relays their output and reports their end. It runs in a session of its own, so
 * a terminal's ^C reaches nightshift alone. When nightshift goes away (the IPC channel closes, or a
 * message cannot be sent because it already has) the launcher exits quietly; jobs it started keep
 * running and are recovered as orphans, exactly as when nightshift started them itself.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

interface SpawnRequest {
  t: 'spawn';
  id: number;
  command: string;
  args: string[];
  cwd: string;
  env: EnvDelta;
  /** Nice value to give the process once it exists (absent: left as inherited). */
  priority?: number;
}

type Request = { t: 'base'; env: Record<string, string> } | SpawnRequest;

/** The job's environment against the base: variables set (or changed) and variables removed. */
export interface EnvDelta {
  set: Record<string, string>;
  unset: string[];
}

/** The environment nightshift gives jobs against, sent once before any start. */
let base: Record<string, string> = {};

/** Errors of a send to a parent that is gone (or going): nothing is left to report to. */
const PARENT_GONE = new Set(['EPIPE', 'ECONNRESET', 'ERR_IPC_CHANNEL_CLOSED', 'ERR_IPC_DISCONNECTED']);

function onSendError(error: NodeJS.ErrnoException): void {
  if (!PARENT_GONE.has(error.code ?? '')) process.stderr.write(`nightshift launcher: cannot report to nightshift (${error.message}); exiting\n`);
  process.exit(PARENT_GONE.has(error.code ?? '') ? 0 : 1);
}

let outbox: unknown[] = [];

/** Reports to nightshift: queued, and sent with the rest of this turn's reports. */
const send = (message: unknown): void => {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(message);
};

/**
 * A send to a parent that has just died fails (EPIPE) before the channel's close is seen; the
 * callback form hands that error here instead of emitting it on `process`.
 */
function flush(): void {
  const batch = outbox;
  outbox = [];
  if (!process.connected || !process.send) return;
  try {
    process.send(batch, undefined, undefined, (error: Error | null) => {
      if (error) onSendError(error);
    });
  } catch (error) {
    onSendError(error as NodeJS.ErrnoException);
  }
}

function envOf(delta: EnvDelta): Record<string, string> {
  const env = { ...base, ...delta.set };
  for (const name of delta.unset) delete env[name];
  return env;
}

// Any channel error not routed through a send's callback ends the launcher the same way.
process.on('error', onSendError);

process.on('message', (batch: Request[]) => {
  if (!Array.isArray(batch)) return;
  for (const m of batch) {
    if (m?.t === 'base') base = m.env;
    else if (m?.t === 'spawn') start(m);
  }
});

function start(m: SpawnRequest): void {
  let child;
  try {
    child = spawn(m.command, m.args, { cwd: m.cwd, env: envOf(m.env), shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    send({ t: 'failed', id: m.id, code: (error as NodeJS.ErrnoException).code ?? 'UNKNOWN', message: (error as Error).message });
    return;
  }
  child.once('error', (error: NodeJS.ErrnoException) => {
    if (child.pid === undefined) send({ t: 'failed', id: m.id, code: error.code ?? 'UNKNOWN', message: error.message });
  });
  if (child.pid === undefined) return;
  if (typeof m.priority === 'number') {
    try {
      setPriority(child.pid, m.priority);
    } catch {
      // No permission (or the process is already gone): it runs at the inherited priority.
    }
  }
  send({ t: 'spawned', id: m.id, pid: child.pid });
  child.stdout.on('data', (chunk: Buffer) => send({ t: 'data', id: m.id, fd: 1, chunk }));
  child.stderr.on('data', (chunk: Buffer) => send({ t: 'data', id: m.id, fd: 2, chunk }));
  child.once('exit', (code, signal) => send({ t: 'exit', id: m.id, code, signal }));
  child.once('close', () => send({ t: 'close', id: m.id }));
}

process.on('disconnect', () => process.exit(0));

// Listening: nightshift sends starts here now rather than to a busy launcher.
send({ t: 'ready' });
