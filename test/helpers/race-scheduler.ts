/**
 * One scheduler process for the exactly-once race test. All racers share one simulated timeline
 * (wall time since a common start instant, sped up), so they contend for the same slots at the same
 * moments. The instant comes on stdin once every racer is ready (race-start.ts).
 * argv: <dataDir> <databaseUrl|-> <startIso> <slots> <schedules>
 */
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import { readyThenWaitForStart } from './race-start.ts';
import { commandJob, makeSettings, schedule } from './settings.ts';

const [dataDir, url, startIso, slotCount, scheduleCount] = process.argv.slice(2) as [string, string, string, string, string];
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
const goAt = await readyThenWaitForStart();
let decided = 0;
let ticks = 0;
for (;;) {
  const simulated = Math.min(end, start + (Date.now() - goAt) * SPEED);
  clock.set(simulated);
  decided += (await engine.scheduler.tick()).decided.length;
  ticks++;
  if (simulated >= end) break;
  // A short real pause lets the other racers' lock waits succeed (SQLite's busy handler polls).
  await new Promise((r) => setTimeout(r, Math.random() * 3));
}
await engine.close(0);
process.stdout.write(`${JSON.stringify({ pid: process.pid, decided, ticks })}\n`);
