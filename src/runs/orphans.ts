import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunRow } from '../store/runs.ts';

/** How long after its attempt was claimed a job process may start (the launcher spawns it at once; a loaded host takes longer). */
const SPAWN_WINDOW_MS = 60_000;
/** Slack for the coarse start time (/proc/stat's boot time is in whole seconds) and clock steps. */
const CLOCK_SLACK_MS = 2_000;
/** USER_HZ: the unit of /proc/<pid>/stat's start time, 100 on every Linux architecture nightshift runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export type OrphanedRun = Pick<RunRow, 'id' | 'pid' | 'host' | 'attempt' | 'started_at'>;

/**
 * A worker killed with -9 leaves its command's processes running. When this host recovers such a
 * run they are killed first, so the job never runs twice side by side. The processes are found by
 * the NIGHTSHIFT_RUN_ID and NIGHTSHIFT_ATTEMPT every job process (and its children) carries in its
 * environment (Linux), which also covers a pid never recorded (the worker may die between spawn and
 * recording it). The recorded pid is killed, with its process group, only while it is still the
 * run's: its environment carries the marker, or it started when the attempt did. After a reboot, or
 * once the pid is reused, it belongs to an unrelated process, which is left alone.
 */
export function killOrphanedGroup(run: OrphanedRun): boolean {
  if (run.host !== null && run.host !== hostname()) return false;
  const pids = new Set(processesOfRun(run.id, run.attempt));
  if (run.pid && !pids.has(run.pid) && isRunsProcess(run.pid, run)) pids.add(run.pid);
  let killed = false;
  for (const pid of pids) {
    if (pid === process.pid) continue;
    killed = kill(-pid) || kill(pid) || killed;
  }
  return killed;
}

/**
 * Whether the process `pid` is (still) the one the run's attempt started: it carries the attempt's
 * marker, or it started within the attempt's spawn window (a job that replaced its environment,
 * `env -i` say). A process that started before the attempt, or long after it (a reboot since, a
 * reused pid), is not.
 */
export function isRunsProcess(pid: number, run: Pick<OrphanedRun, 'id' | 'attempt' | 'started_at'>): boolean {
  const environ = readEnviron(pid);
  if (environ !== null && hasMarker(environ, run.id, run.attempt)) return true;
  const startedAt = processStartedAt(pid);
  if (startedAt === null || run.started_at === null) return false;
  return startedAt >= run.started_at - CLOCK_SLACK_MS && startedAt <= run.started_at + SPAWN_WINDOW_MS + CLOCK_SLACK_MS;
}

/**
 * When the process started (epoch ms), or null when it does not exist or cannot be told. Linux:
 * /proc/<pid>/stat field 22 (clock ticks after boot) plus /proc/stat's boot time; elsewhere `ps`'s
 * elapsed time.
 */
export function processStartedAt(pid: number): number | null {
  if (process.platform === 'linux') {
    const stat = readText(`/proc/${pid}/stat`);
    const boot = bootTimeMs();
    if (stat === null || boot === null) return null;
    // Fields after the command name, which is in parentheses and may hold spaces: field 3 is index 0.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? boot + (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
  }
  try {
    const elapsed = parseElapsed(execFileSync('ps', ['-o', 'etime=', '-p', String(pid)], { encoding: 'utf8', timeout: 2_000 }).trim());
    return elapsed === null ? null : Date.now() - elapsed;
  } catch {
    return null;
  }
}

/** `ps -o etime` ([[dd-]hh:]mm:ss) in ms. */
function parseElapsed(text: string): number | null {
  const m = /^(?:(?:(\d+)-)?(\d+):)?(\d+):(\d+)$/.exec(text);
  if (!m) return null;
  const [, days, hours, minutes, seconds] = m;
  return (((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000;
}

function bootTimeMs(): number | null {
  const btime = /^btime (\d+)$/m.exec(readText('/proc/stat') ?? '');
  return btime ? Number(btime[1]) * 1000 : null;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

function readEnviron(pid: number): string | null {
  return process.platform === 'linux' ? readText(`/proc/${pid}/environ`) : null;
}

/** NIGHTSHIFT_RUN_ID=<run> and NIGHTSHIFT_ATTEMPT=<attempt>, each a whole entry of the NUL-separated environment. */
function hasMarker(environ: string, runId: string, attempt: number): boolean {
  const entries = `\0${environ}`;
  return entries.includes(`\0NIGHTSHIFT_RUN_ID=${runId}\0`) && entries.includes(`\0NIGHTSHIFT_ATTEMPT=${attempt}\0`);
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
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = readText(`/proc/${entry}/environ`);
    // Gone already, or not ours to read, when null.
    if (environ !== null && hasMarker(environ, runId, attempt)) found.push(Number(entry));
  }
  return found;
}
