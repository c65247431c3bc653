/**
 * Runs a command in a pseudo-terminal, as a user's shell does: the command is the terminal's
 * foreground process group, so a ^C typed there (interrupt()) is turned into SIGINT by the terminal
 * driver and sent to every process of that group, as when a user presses Ctrl-C. Uses util-linux
 * `script` (Debian's bsdutils); everything the command writes comes out on `proc.stdout`, with the
 * terminal's \r\n line ends and its echo of ^C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Why pseudo-terminal tests cannot run here, or null when they can. */
export function ptyUnavailable(): string | null {
  const probe = spawnSync('script', ['-qfec', 'true', '/dev/null'], { stdio: 'ignore', timeout: 10_000 });
  return probe.error || probe.status !== 0 ? 'util-linux `script` is not available' : null;
}

const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

export class PtyProcess {
  readonly proc: ChildProcess;
  /** The command's exit (script -e passes on its status). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    // `exec`: the command itself (no shell in between) is the terminal's foreground process group.
    const line = `exec ${[command, ...args].map(quote).join(' ')}`;
    this.proc = spawn('script', ['-qfec', line, '/dev/null'], {
      env: { ...(options.env ?? process.env), SHELL: '/bin/sh' },
      cwd: options.cwd,
      // stdin stays open: script copies it to the terminal (and ends the session when it closes).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Types ^C in the terminal. */
  interrupt(): void {
    this.proc.stdin!.write('\x03');
  }
}
