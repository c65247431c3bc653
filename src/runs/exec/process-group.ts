/**
 * Process-group signalling. Every command starts as the leader of its own group (spawn `detached`),
 * so one signal to `-pgid` reaches everything it started that did not leave the group.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { cappedTimeout, type CappedTimer } from '../../timers.ts';

const POLL_MS = 20;

/** Sends `sig` to the whole group; false when the group no longer exists. */
export function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any process of the group is still running. Zombies do not count: where PID 1 does not
 * reap orphans (many containers), killed grandchildren linger as zombies that `kill(-pgid, 0)` still
 * finds. On Linux /proc tells them apart; elsewhere we trust kill(2).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    return readdirSync('/proc').some((entry) => /^\d+$/.test(entry) && isLiveMember(entry, pgid));
  } catch {
    return true;
  }
}

function isLiveMember(pid: string, pgid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ..."; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X';
  } catch {
    return false; // exited while we looked
  }
}

/**
 * Graceful-then-forceful termination of one group: SIGTERM now, SIGKILL after `graceMs` if any
 * member is still running. `stop()` is idempotent; `dispose()` clears the timer.
 */
export class GroupTerminator {
  #termAt: number | null = null;
  #timer: CappedTimer | null = null;
  #killed = false;

  constructor(
    private readonly pgid: number,
    private readonly graceMs: number,
    private readonly note: (text: string) => void,
  ) {}

  get started(): boolean {
    return this.#termAt !== null;
  }

  stop(): void {
    if (this.#termAt !== null) return;
    this.#termAt = Date.now();
    if (!signalGroup(this.pgid, 'SIGTERM')) return;
    this.#timer = cappedTimeout(() => this.#kill(), this.graceMs);
  }

  /** Resolves once no member runs, or `extraMs` after the SIGKILL deadline; true if the group is gone. */
  async waitGone(extraMs: number): Promise<boolean> {
    const deadline = (this.#termAt ?? Date.now()) + Math.max(0, this.graceMs) + extraMs;
    while (groupAlive(this.pgid)) {
      if (Date.now() >= deadline) {
        this.note(`process group ${this.pgid} still has running processes after SIGKILL`);
        return false;
      }
      await delay(POLL_MS);
    }
    return true;
  }

  dispose(): void {
    this.#timer?.clear();
    this.#timer = null;
  }

  #kill(): void {
    this.#timer = null;
    if (this.#killed || !groupAlive(this.pgid)) return;
    this.#killed = true;
    this.note(`process group ${this.pgid} still running ${this.graceMs} ms after SIGTERM; sending SIGKILL`);
    signalGroup(this.pgid, 'SIGKILL');
  }
}
