import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureBuilt } from './built-bin.ts';
import { PtyProcess } from './pty.ts';

/**
 * The CLI the tests spawn: the compiled build (dist/main.js), as users run it, rebuilt first when
 * stale (built-bin.ts). SOURCE_BIN runs the sources through tsx, for tests of that path itself.
 */
export const BIN = ensureBuilt();
export const SOURCE_BIN = join(import.meta.dirname, '..', '..', 'bin', 'nightshift.js');

export interface LogLine {
  msg?: string;
  level?: number;
  runId?: string;
  [key: string]: unknown;
}

/** A real `nightshift serve` process; tests wait on its JSON log lines, never on sleeps. */
export class ServeProcess {
  readonly proc: ChildProcess;
  readonly lines: LogLine[] = [];
  readonly #waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  readonly #terminal: PtyProcess | null;

  /**
   * `bin`: the program to run (default the build, dist/main.js; SOURCE_BIN for the sources through
   * tsx). `terminal`: run it in a pseudo-terminal, as from a user's shell (see interrupt()).
   */
  constructor(env: Record<string, string>, args: string[] = ['serve'], bin = BIN, options: { terminal?: boolean } = {}) {
    const fullEnv = { ...process.env, ...env };
    this.#terminal = options.terminal ? new PtyProcess(process.execPath, [bin, ...args], { env: fullEnv }) : null;
    this.proc = this.#terminal?.proc ?? spawn(process.execPath, [bin, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.proc, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    createInterface({ input: this.proc.stdout! }).on('line', (raw) => {
      // A terminal ends lines with \r\n and echoes what is typed (^C) in front of the next line.
      const text = this.#terminal ? raw.replace(/\r$/, '').replace(/^[^{]*(?=\{)/, '') : raw;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text };
      }
      this.lines.push(line);
      for (const w of [...this.#waiters]) {
        if (w.match(line)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    this.proc.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  }

  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for a log line; last lines:\n${this.lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
      this.#waiters.push({ match, resolve: (l) => { clearTimeout(timer); resolve(l); } });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`serve exited before the awaited log line; last lines:\n${this.lines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`));
      });
    });
  }

  /** Types ^C in its terminal (started with `terminal: true`): SIGINT to its foreground process group. */
  interrupt(): void {
    if (!this.#terminal) throw new Error('interrupt() needs a process started with { terminal: true }');
    this.#terminal.interrupt();
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}
