/**
 * Child process: the engine under a real clock, scheduler and workers running. N schedules fire
 * once each over the window; each run is an empty job (`empty`: claimed and finished, nothing
 * started) or a real process (`process`: STARTED_COMMAND, which prints its own wall-clock start time
 * and exits, started the way the service starts every process job: through the launcher unless
 * the settings say otherwise). Measured per run, each against the run's slot time (`run.slot_at`):
 * - `decided`: the slot's `decidedAt` (when its run row was durable; ms resolution), the scheduler's part;
 * - `claimed`: the `run:claimed` event;
 * - `process` only: `spawned`, the `run:spawned` event (the engine has the pid: the launcher has started
 *   it and said so); `started`, the time the process itself printed (it is running: exec'd, its
 *   code executing), read from its stdout line (`run:line`).
 * Runs still unclaimed (not started) drainS after the last slot count as late by (that moment − slot
 * time), a lower bound. Prints one JSON line. argv: <windowS> <count> <leadS> <concurrency> <drainS> <empty|process>
 */
import { performance } from 'node:perf_hooks';
import { Engine } from '../../src/engine.ts';
import { preciseNow, summarize } from '../lib/stats.ts';
import { benchLogger, fleetSettings, progress, scheduleId, startedAtFromLine, tempDataDir } from './fleet.ts';
import { cronAt, slotAt, spreadFromArgs } from './spread.ts';

const spread = spreadFromArgs(process.argv.slice(2, 5));
const concurrency = Number(process.argv[5] ?? 8);
const drainS = Number(process.argv[6] ?? 240);
const work = process.argv[7] === 'empty' ? 'empty' : 'process';
const data = tempDataDir();
const settings = fleetSettings({ cronFor: (i) => cronAt(slotAt(spread, i)), dataDir: data.dir, concurrency, count: spread.count, work });
const engine = await Engine.open({ settings, logger: benchLogger() });
const lead = spread.startAt - Date.now();
if (lead < 1_000) throw new Error(`loading the schedules took too long: the first slot is ${lead} ms away; raise leadS`);
progress(`engine: ${spread.count} schedules loaded (${work} jobs); first slot in ${(lead / 1000).toFixed(1)} s, concurrency ${concurrency}`);

const claimed: number[] = [];
const claimedSchedules = new Set<string>();
const spawned: number[] = [];
const started: number[] = [];
const startedSchedules = new Set<string>();
/** Claimed runs' slot and schedule, by run id: what the spawn and start of their process are measured against. */
const claimedRuns = new Map<string, { slotAt: number; scheduleId: string }>();
const decided: number[] = [];
const outcomes: Record<string, number> = {};
let finishedCount = 0;
let allClaimed: () => void = () => undefined;
const whenAllClaimed = new Promise<void>((resolve) => (allClaimed = resolve));
/** Everything measured: every run claimed and, with processes, every process started. */
const complete = () => claimed.length === spread.count && (work === 'empty' || started.length === spread.count);
engine.events.on('slot:decided', ({ slotAt: at, decidedAt }) => decided.push(decidedAt - at));
engine.events.on('run:claimed', ({ run }) => {
  if (run.slot_at === null) return;
  claimed.push(preciseNow() - run.slot_at);
  if (run.schedule_id !== null) claimedSchedules.add(run.schedule_id);
  if (work === 'process' && run.schedule_id !== null) claimedRuns.set(run.id, { slotAt: run.slot_at, scheduleId: run.schedule_id });
  if (complete()) allClaimed();
});
engine.events.on('run:spawned', ({ runId }) => {
  const at = claimedRuns.get(runId);
  if (at) spawned.push(preciseNow() - at.slotAt);
});
engine.events.on('run:line', ({ runId, stream, line }) => {
  const at = claimedRuns.get(runId);
  const startedAt = stream === 'stdout' ? startedAtFromLine(line) : null;
  if (!at || startedAt === null) return;
  started.push(startedAt - at.slotAt);
  startedSchedules.add(at.scheduleId);
  if (complete()) allClaimed();
});
engine.events.on('run:finished', ({ run }) => {
  finishedCount++;
  outcomes[run.status] = (outcomes[run.status] ?? 0) + 1;
});
engine.start();

const report = setInterval(() => progress(`engine: ${decided.length} slots decided, ${claimed.length} runs claimed${work === 'process' ? `, ${started.length} processes started` : ''}, ${finishedCount} finished`), 15_000);
const limit = setTimeout(allClaimed, spread.startAt + spread.windowS * 1000 + drainS * 1000 - Date.now());
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
const eluStart = performance.eventLoopUtilization();
await whenAllClaimed;
const claimedCount = claimed.length;
const startedCount = started.length;
const stoppedAt = preciseNow();
for (let i = 0; i < spread.count; i++) if (!claimedSchedules.has(scheduleId(i))) claimed.push(stoppedAt - slotAt(spread, i));
if (work === 'process') for (let i = 0; i < spread.count; i++) if (!startedSchedules.has(scheduleId(i))) started.push(stoppedAt - slotAt(spread, i));
const elu = performance.eventLoopUtilization(eluStart).utilization;
const cpu = process.cpuUsage(cpuStart);
const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallStart)) * 100;
const summaries = {
  claimed: summarize(claimed),
  decided: summarize(decided),
  ...(work === 'process' ? { startedCount, started: summarize(started), spawned: summarize(spawned) } : {}),
};
clearTimeout(limit);
clearInterval(report);
await engine.close(30_000);
data.remove();
progress(`engine: ${claimedCount} claimed${work === 'process' ? `, ${startedCount} processes started` : ''}, outcomes ${JSON.stringify(outcomes)}`);
process.stdout.write(
  `${JSON.stringify({ claimedCount, concurrency, outcomes, cpuPercent, eventLoopUtilization: elu, maxRssMb: process.resourceUsage().maxRSS / 1024, ...summaries })}\n`,
);
