import { hostname } from 'node:os';
import type { RunRow } from '../store/runs.ts';

/**
 * A worker killed with -9 leaves its command's process group running. When this host recovers
 * such a run, the group is killed first so the job never runs twice side by side.
 */
export function killOrphanedGroup(run: Pick<RunRow, 'pid' | 'host'>): boolean {
  if (!run.pid || run.host !== hostname()) return false;
  try {
    process.kill(-run.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
