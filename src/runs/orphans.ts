import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunRow } from '../store/runs.ts';

/**
 * A worker killed with -9 leaves its command's processes running. When this host recovers such a
 * run they are killed first, so the job never runs twice side by side. The recorded pid can be
 * missing (the worker may die between spawn and recording it), so on Linux the processes are also
 * found by the NIGHTSHIFT_RUN_ID every job process (and its children) carries in its environment.
 */
export function killOrphanedGroup(run: Pick<RunRow, 'id' | 'pid' | 'host' | 'attempt'>): boolean {
  if (run.host !== null && run.host !== hostname()) return false;
  const pids = new Set(processesOfRun(run.id, run.attempt));
  if (run.pid) pids.add(run.pid);
  let killed = false;
  for (const pid of pids) {
    if (pid === process.pid) continue;
    killed = kill(-pid) || kill(pid) || killed;
  }
  return killed;
}

function kill(target: number): boolean {
  try {
    process.kill(target, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** Processes of this run's lost attempt only: a newer attempt (another process on this host may have claimed it) is left alone. */
function processesOfRun(runId: string, attempt: number): number[] {
  if (process.platform !== 'linux') return [];
  const marker = `NIGHTSHIFT_RUN_ID=${runId}\0`;
  const attemptMarker = `\0NIGHTSHIFT_ATTEMPT=${attempt}\0`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if ((env.startsWith(marker) || env.includes(`\0${marker}`)) && (env.includes(attemptMarker) || env.startsWith(attemptMarker.slice(1)))) found.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return found;
}
