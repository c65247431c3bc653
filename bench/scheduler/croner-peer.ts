/**
 * Child process: the peer. N bare croner timers with the same fire times as the engine's schedules;
 * lateness = callback time − scheduled time. Prints one JSON line.
 * - `noop`: each callback does nothing.
 * - `process`: each callback starts STARTED_COMMAND (the engine's process work), at most `concurrency`
 *   running at once (the rest wait in order, as runs wait for a worker's place), spawned as the engine's
 *   jobs are (own session, stdout and stderr piped); `started` = the process's own wall-clock start
 *   time − scheduled time, the engine's `process_start_lateness` measured the same way. Processes
 *   not started drainS after the last slot count as late by (that moment − slot time), a lower bound,
 *   as the engine's runs do.
 * argv: <windowS> <count> <leadS> [noop|process] [concurrency] [drainS]
 */
import { spawn } from 'node:child_process';
import { Cron } from 'croner';
import { preciseNow, summarize } from '../lib/stats.ts';
import { progress, STARTED_COMMAND, startedAtFromLine } from './fleet.ts';
import { cronAt, slotAt, spreadFromArgs } from './spread.ts';

const spread = spreadFromArgs(process.argv.slice(2, 5));
const work = process.argv[5] === 'process' ? 'process' : 'noop';
const concurrency = Number(process.argv[6] ?? 16);
const drainS = Number(process.argv[7] ?? 30);
const lateness: number[] = [];
const started: number[] = [];
const jobs: Cron[] = [];
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (done = resolve));
const waiting: number[] = [];
let running = 0;
let failures = 0;
let stopped = false;
/** Slot times of the processes started (their output read), to count the others at the end. */
const startedSlots: number[] = [];

/** Starts waiting processes while places are free; each frees its place once its output is read. */
function pump(): void {
  while (!stopped && running < concurrency && waiting.length > 0) {
    const at = waiting.shift()!;
    running++;
    const child = spawn(STARTED_COMMAND.command, [...STARTED_COMMAND.args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.stderr.resume();
    child.once('error', () => failures++);
    child.once('close', () => {
      running--;
      const startedAt = startedAtFromLine(out);
      if (startedAt === null) failures++;
      else {
        started.push(startedAt - at);
        startedSlots.push(at);
      }
      if (started.length + failures === spread.count) done();
      pump();
    });
  }
}

for (let i = 0; i < spread.count; i++) {
  const at = slotAt(spread, i);
  const job = new Cron(cronAt(at), { timezone: 'UTC' }, () => {
    lateness.push(preciseNow() - at);
    job.stop();
    if (work === 'process') {
      waiting.push(at);
      pump();
    } else if (lateness.length === spread.count) done();
  });
  jobs.push(job);
}
progress(`croner (${work}${work === 'process' ? `, ${concurrency} at once` : ''}): ${jobs.length} timers armed; first fires in ${((spread.startAt - Date.now()) / 1000).toFixed(1)} s`);
const limit = setTimeout(done, spread.startAt + spread.windowS * 1000 + (work === 'process' ? drainS : 30) * 1000 - Date.now());
const report = setInterval(() => progress(`croner: ${lateness.length} callbacks${work === 'process' ? `, ${started.length} processes started` : ''}`), 15_000);
await finished;
stopped = true;
clearTimeout(limit);
clearInterval(report);
for (const job of jobs) job.stop();
const startedCount = started.length;
if (work === 'process') {
  const stoppedAt = preciseNow();
  const seen = new Map<number, number>();
  for (const at of startedSlots) seen.set(at, (seen.get(at) ?? 0) + 1);
  for (let i = 0; i < spread.count; i++) {
    const at = slotAt(spread, i);
    const n = seen.get(at) ?? 0;
    if (n > 0) seen.set(at, n - 1);
    else started.push(stoppedAt - at);
  }
}
progress(`croner: ${lateness.length} callbacks${work === 'process' ? `, ${startedCount} processes started, ${failures} failed` : ''}`);
const out = `${JSON.stringify({ fired: lateness.length, lateness: summarize(lateness), ...(work === 'process' ? { startedCount, failures, started: summarize(started) } : {}) })}\n`;
// Exit once written: processes still waiting for a place are never started.
process.stdout.write(out, () => process.exit(0));
