/**
 * Child process: the peer. N bare croner timers with the same fire times as the engine's schedules;
 * lateness = callback time − scheduled time. Prints one JSON line.
 * - `noop`: each callback does nothing.
 * - `process`: each callback starts STARTED_COMMAND (the engine's process work), at most `concurrency`
 *   running at once (the rest wait in order, as runs wait for a worker's place), spawned as the engine's
 *   jobs are (own session, stdout and stderr piped); `started` = the process's own wall-clock start
 *   time − scheduled time, the engine's `process_start_lateness` measured the same way.
 * argv: <windowS> <count> <leadS> [noop|process] [concurrency]
 */
import { spawn } from 'node:child_process';
import { Cron } from 'croner';
import { preciseNow, summarize } from '../lib/stats.ts';
import { progress, STARTED_COMMAND, startedAtFromLine } from './fleet.ts';
import { cronAt, slotAt, spreadFromArgs } from './spread.ts';

const spread = spreadFromArgs(process.argv.slice(2, 5));
const work = process.argv[5] === 'process' ? 'process' : 'noop';
const concurrency = Number(process.argv[6] ?? 16);
const lateness: number[] = [];
const started: number[] = [];
const jobs: Cron[] = [];
let done: () => void = () => undefined;
const finished = new Promise<void>((resolve) => (done = resolve));
const waiting: number[] = [];
let running = 0;
let failures = 0;

/** Starts waiting processes while places are free; each frees its place once its output is read. */
function pump(): void {
  while (running < concurrency && waiting.length > 0) {
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
      else started.push(startedAt - at);
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
const limit = setTimeout(done, spread.startAt + spread.windowS * 1000 + 30_000 - Date.now());
await finished;
clearTimeout(limit);
for (const job of jobs) job.stop();
progress(`croner: ${lateness.length} callbacks${work === 'process' ? `, ${started.length} processes started, ${failures} failed` : ''}`);
process.stdout.write(`${JSON.stringify({ fired: lateness.length, lateness: summarize(lateness), ...(work === 'process' ? { startedCount: started.length, failures, started: summarize(started) } : {}) })}\n`);
