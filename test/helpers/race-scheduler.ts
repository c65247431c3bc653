/**
 * One scheduler process for the exactly-once race test. All racers share one simulated timeline
 * (wall time since a common start barrier, sped up), so they contend for the same slots at the same
 * moments. argv: <dataDir> <databaseUrl|-> <startIso> <slots> <schedules> <goAtMs>
 */
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import { commandJob, makeSettings, schedule } from './settings.ts';

const [dataDir, url, startIso, slotCount, scheduleCount, goAt] = process.argv.slice(2) as [string, string, string, string, string, string];
const SPEED = 1_200; // one real second = 20 simulated minutes
const start = Date.parse(startIso);
const end = start + Number(slotCount) * 60_000 + 5;
const clock = new ManualClock(start);
// catch-up "all" with a wide grace: every slot must fire, so only exactly-once is under test.
const schedules = Array.from({ length: Number(scheduleCount) }, (_, i) =>
  schedule(`s${i}`, 'noop', { cron: '* * * * *', overlap: 'queue_one', catchUp: 'all', catchUpMax: 100_000, misfireGraceMs: 86_400_000 }),
);
const settings = makeSettings({
  dataDir,
  databaseUrl: url === '-' ? null : url,
  nodeId: `racer-${process.pid}`,
  jobs: [commandJob('noop', process.execPath, ['-e', '0'])],
  schedules,
});
const engine = await Engine.open({ settings, clock });
await new Promise((r) => setTimeout(r, Math.max(0, Number(goAt) - Date.now())));
let decided = 0;
let ticks = 0;
for (;;) {
  const simulated = Math.min(end, start + (Date.now() - Number(goAt)) * SPEED);
  clock.set(simulated);
  decided += (await engine.scheduler.tick()).decided.length;
  ticks++;
  if (simulated >= end) break;
  // A short real pause lets the other racers' lock waits succeed (SQLite's busy handler polls).
  await new Promise((r) => setTimeout(r, Math.random() * 3));
}
await engine.close(0);
process.stdout.write(`${JSON.stringify({ pid: process.pid, decided, ticks })}\n`);
