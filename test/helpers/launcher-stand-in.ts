/**
 * Drives test/fixtures/launcher/start-job.ts, a stand-in for nightshift that starts one job through
 * a launcher and reports what happens as JSON lines. Tests wait on those lines, never on sleeps.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'launcher');
/** A job printing "tick N" lines (args: interval ms, padding bytes) that reports a SIGINT it gets. */
export const TICKER = join(FIXTURES, 'ticker.mjs');

export interface StandInEvent {
  event: 'started' | 'line' | 'job-exit' | 'sigint';
  line?: string;
  [key: string]: unknown;
}

export class StandIn {
  static readonly SCRIPT = join(FIXTURES, 'start-job.ts');
  readonly events: StandInEvent[] = [];
  #stderr = '';
  readonly #stderrEnded: Promise<void>;
  readonly #waiters = new Set<{ match: (e: StandInEvent) => boolean; resolve: (e: StandInEvent) => void }>();

  /** `proc`: the stand-in, spawned directly or in a pseudo-terminal; its stdout may hold other text (a terminal's echo). */
  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (text) => {
      const json = text.slice(Math.max(0, text.indexOf('{"event"'))).replace(/\r$/, '');
      if (!json.startsWith('{"event"')) return;
      const event = JSON.parse(json) as StandInEvent;
      this.events.push(event);
      for (const w of [...this.#waiters]) {
        if (!w.match(event)) continue;
        this.#waiters.delete(w);
        w.resolve(event);
      }
    });
    proc.stderr?.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#stderrEnded = proc.stderr ? new Promise((resolve) => proc.stderr!.once('end', () => resolve())) : Promise.resolve();
  }

  waitFor(match: (e: StandInEvent) => boolean, timeoutMs = 20_000): Promise<StandInEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for a stand-in event; last events:\n${this.events.slice(-5).map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${this.#stderr}`));
      }, timeoutMs);
      const waiter = { match, resolve: (e: StandInEvent) => (clearTimeout(timer), resolve(e)) };
      this.#waiters.add(waiter);
    });
  }

  /** Its stderr once every process holding it (the stand-in, and the launchers that inherit it) has ended. */
  async stderrEnd(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stderr still open after ${timeoutMs} ms (a launcher still runs?); so far:\n${this.#stderr}`)), timeoutMs);
    });
    try {
      await Promise.race([this.#stderrEnded, late]);
    } finally {
      clearTimeout(timer);
    }
    return this.#stderr;
  }
}

/** Bytes process `pid` has written so far (Linux /proc/<pid>/io): a way to wait until it has written more. */
export function bytesWritten(pid: number): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1]);
}

/** Whether `pid` runs (a zombie, exited but not yet reaped, does not count). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
