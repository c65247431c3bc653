/**
 * Child process: the engine under a real clock, scheduler and workers running. N schedules fire
 * once each over the window; each run is a no-op: an empty job (`empty`: claimed and finished, nothing started) or /bin/true as a real process (`process`). Lateness = `run:claimed` time − slot
 * time (`run.slot_at`); the scheduler's part (the slot's `decidedAt`, when its run row was durable, − slot
 * time; ms resolution) is recorded beside it.
 * Runs still unclaimed drainS after the last slot count as late by (that moment − slot time), a lower
 * bound. Prints one JSON line. argv: <windowS> <count> <leadS> <concurrency> <drainS> <empty|process>
 */
import { performance } from 'node:perf_hooks';
import { Engine } from '../../src/engine.ts';
import { preciseNow, summarize } from '../lib/stats.ts';
import { benchLogger, fleetSettings, progress, scheduleId, tempDataDir } from './fleet.ts';
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
const decided: number[] = [];
const outcomes: Record<string, number> = {};
let finishedCount = 0;
let allClaimed: () => void = () => undefined;
const whenAllClaimed = new Promise<void>((resolve) => (allClaimed = resolve));
engine.events.on('slot:decided', ({ slotAt: at, decidedAt }) => decided.push(decidedAt - at));
engine.events.on('run:claimed', ({ run }) => {
  if (run.slot_at === null) return;
  claimed.push(preciseNow() - run.slot_at);
  if (run.schedule_id !== null) claimedSchedules.add(run.schedule_id);
  if (claimed.length === spread.count) allClaimed();
});
engine.events.on('run:finished', ({ run }) => {
  finishedCount++;
  outcomes[run.status] = (outcomes[run.status] ?? 0) + 1;
});
engine.start();

const report = setInterval(() => progress(`engine: ${decided.length} slots decided, ${claimed.length} runs claimed, ${finishedCount} finished`), 15_000);
const limit = setTimeout(allClaimed, spread.startAt + spread.windowS * 1000 + drainS * 1000 - Date.now());
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
const eluStart = performance.eventLoopUtilization();
await whenAllClaimed;
const claimedCount = claimed.length;
const stoppedAt = preciseNow();
for (let i = 0; i < spread.count; i++) if (!claimedSchedules.has(scheduleId(i))) claimed.push(stoppedAt - slotAt(spread, i));
const elu = performance.eventLoopUtilization(eluStart).utilization;
const cpu = process.cpuUsage(cpuStart);
const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallStart)) * 100;
const summaries = { claimed: summarize(claimed), decided: summarize(decided) };
clearTimeout(limit);
clearInterval(report);
await engine.close(30_000);
data.remove();
progress(`engine: ${claimedCount} claimed, outcomes ${JSON.stringify(outcomes)}`);
process.stdout.write(
  `${JSON.stringify({ claimedCount, concurrency, outcomes, cpuPercent, eventLoopUtilization: elu, maxRssMb: process.resourceUsage().maxRSS / 1024, ...summaries })}\n`,
);
