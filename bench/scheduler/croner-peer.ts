/**
 * Child process: the peer. N bare croner timers with the same fire times as the engine's schedules,
 * each with a no-op callback; lateness = callback time − scheduled time. Prints one JSON line.
 * argv: <windowS> <count> <leadS>
 */
import { Cron } from 'croner';
import { preciseNow, summarize } from '../lib/stats.ts';
import { progress } from './fleet.ts';
import { cronAt, slotAt, spreadFromArgs } from './spread.ts';

const spread = spreadFromArgs(process.argv.slice(2));
const lateness: number[] = [];
const jobs: Cron[] = [];
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (done = resolve));

for (let i = 0; i < spread.count; i++) {
  const at = slotAt(spread, i);
  const job = new Cron(cronAt(at), { timezone: 'UTC' }, () => {
    lateness.push(preciseNow() - at);
    job.stop();
    if (lateness.length === spread.count) done();
  });
  jobs.push(job);
}
progress(`croner: ${jobs.length} timers armed; first fires in ${((spread.startAt - Date.now()) / 1000).toFixed(1)} s`);
const limit = setTimeout(done, spread.startAt + spread.windowS * 1000 + 30_000 - Date.now());
await finished;
clearTimeout(limit);
for (const job of jobs) job.stop();
progress(`croner: ${lateness.length} callbacks`);
process.stdout.write(`${JSON.stringify({ fired: lateness.length, lateness: summarize(lateness) })}\n`);
