/**
 * Probe (not part of `npm run bench`): CPU per process run and burst throughput of the process path,
 * the quantities behind step 3's lateness that a shared machine can still measure. The fleet of
 * engine-lateness.ts, each run STARTED_COMMAND through the launcher, `count` slots spread over
 * `windowS` (faster than the path can start them, so a queue builds); measured between the
 * `skip`-th finished run and the last `skip` (steady state: launchers booted, queue non-empty):
 * - wall throughput (runs finished / s);
 * - CPU per run of the engine (process.cpuUsage: every thread), of the launchers
 *   (/proc/<pid>/stat utime+stime) and of the jobs they reaped (cutime+cstime);
 * - the launchers' minor page faults per run (steadier than CPU time on a shared machine).
 * Build and run: node scripts/build.mjs bench-process-cost=bench/scheduler/process-cost.ts &&
 *   node dist/bench-process-cost.js <windowS> <count> <leadS> <concurrency> <skip>
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Engine } from '../../src/engine.ts';
import { launcherPids } from '../../src/runs/exec/launcher.ts';
import { groupCommitOf } from '../../src/store/db.ts';
import { benchLogger, fleetSettings, progress, tempDataDir } from './fleet.ts';
import { cronAt, slotAt, spreadFromArgs } from './spread.ts';

const spread = spreadFromArgs(process.argv.slice(2, 5));
const concurrency = Number(process.argv[5] ?? 16);
const skip = Number(process.argv[6] ?? 200);
const TICK_MS = 10; // USER_HZ = 100 on Linux

interface ProcCpu {
  own: number;
  children: number;
  /** Minor page faults: after a fork every page its parent writes faults once more (copy-on-write). */
  faults: number;
}

/** utime+stime and cutime+cstime of a process, ms, and its minor faults. */
function procCpu(pid: number): ProcCpu {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after comm start at index 0 = state (field 3); utime is field 14 → index 11
    return { own: (Number(f[11]) + Number(f[12])) * TICK_MS, children: (Number(f[13]) + Number(f[14])) * TICK_MS, faults: Number(f[7]) };
  } catch {
    return { own: 0, children: 0, faults: 0 };
  }
}
const launchersCpu = () => {
  const by = new Map<number, ProcCpu>();
  for (const pid of launcherPids()) by.set(pid, procCpu(pid));
  return by;
};

const data = tempDataDir();
const settings = fleetSettings({ cronFor: (i) => cronAt(slotAt(spread, i)), dataDir: data.dir, concurrency, count: spread.count, work: 'process' });
const engine = await Engine.open({ settings, logger: benchLogger() });
progress(`probe: ${spread.count} schedules over ${spread.windowS} s, first in ${((spread.startAt - Date.now()) / 1000).toFixed(1)} s, concurrency ${concurrency}`);

let finished = 0;
let lines = 0;
const outcomes: Record<string, number> = {};
type StoreStats = ReturnType<ReturnType<typeof groupCommitOf>['stats']>;
const storeStats = (): StoreStats => groupCommitOf(engine.db.k).stats();
let mark: { wall: number; engine: NodeJS.CpuUsage; launchers: Map<number, ProcCpu>; store: StoreStats } | null = null;
let resolveDone: () => void = () => undefined;
const done = new Promise<void>((r) => (resolveDone = r));
engine.events.on('run:line', () => lines++);
engine.events.on('run:finished', ({ run }) => {
  finished++;
  outcomes[run.status] = (outcomes[run.status] ?? 0) + 1;
  if (finished === skip) mark = { wall: performance.now(), engine: process.cpuUsage(), launchers: launchersCpu(), store: storeStats() };
  if (finished === spread.count - skip) resolveDone();
});
engine.start();
await done;
const m = mark!;
const wallMs = performance.now() - m.wall;
const eng = process.cpuUsage(m.engine);
const after = launchersCpu();
const store = storeStats();
const storePerRun = Object.fromEntries(Object.entries(store).map(([k, v]) => [k, Number(((v - m.store[k as keyof StoreStats]) / (spread.count - 2 * skip)).toFixed(3))]));
const runs = spread.count - 2 * skip;
let launcherMs = 0;
let jobsMs = 0;
let launcherFaults = 0;
for (const [pid, now] of after) {
  const before = m.launchers.get(pid) ?? { own: 0, children: 0, faults: 0 };
  launcherMs += now.own - before.own;
  jobsMs += now.children - before.children;
  launcherFaults += now.faults - before.faults;
}
const engineMs = (eng.user + eng.system) / 1000;
await engine.close(30_000);
data.remove();
const perRun = (ms: number) => Number((ms / runs).toFixed(3));
process.stdout.write(
  `${JSON.stringify({ runs, wallMs: Math.round(wallMs), runsPerS: Number(((runs / wallMs) * 1000).toFixed(1)), cpuMsPerRun: { engine: perRun(engineMs), engineUser: perRun(eng.user / 1000), engineSys: perRun(eng.system / 1000), launchers: perRun(launcherMs), jobs: perRun(jobsMs), total: perRun(engineMs + launcherMs + jobsMs) }, storePerRun, launchers: after.size, launcherFaultsPerRun: Math.round(launcherFaults / runs), lines, outcomes })}\n`,
);
