/**
 * One scheduler process for the exactly-once race test: walks a manual clock through `slots`
 * minutes and ticks at each, racing the other processes on the same store.
 * argv: <dataDir> <databaseUrl|-> <startIso> <slots> <schedules> <goAtMs>
 */
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import { commandJob, makeSettings, schedule } from './settings.ts';

const [dataDir, url, startIso, slotCount, scheduleCount, goAt] = process.argv.slice(2) as [string, string, string, string, string, string];
const start = Date.parse(startIso);
const clock = new ManualClock(start);
const schedules = Array.from({ length: Number(scheduleCount) }, (_, i) => schedule(`s${i}`, 'noop', { cron: '* * * * *', overlap: 'queue_one' }));
const settings = makeSettings({
  dataDir,
  databaseUrl: url === '-' ? null : url,
  nodeId: `racer-${process.pid}`,
  jobs: [commandJob('noop', process.execPath, ['-e', '0'])],
  schedules,
});
const engine = await Engine.open({ settings, clock });
// A start barrier: every racer begins ticking at the same wall-clock instant.
await new Promise((r) => setTimeout(r, Math.max(0, Number(goAt) - Date.now())));
let fired = 0;
for (let i = 1; i <= Number(slotCount); i++) {
  clock.set(start + i * 60_000 + 5);
  fired += (await engine.scheduler.tick()).decided.length;
  // Yield now and then so the racers interleave instead of running in lockstep batches.
  if (i % 7 === 0) await new Promise((r) => setImmediate(r));
}
await engine.close(0);
process.stdout.write(`${JSON.stringify({ pid: process.pid, decided: fired })}\n`);
