/**
 * Child process: 10,000 schedules whose next slots are months away, engine started (SQLite, the
 * embedded default), then CPU and RSS measured while nothing is due. Prints one JSON line.
 * argv: <measureS>
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Engine } from '../../src/engine.ts';
import { benchLogger, fleetSettings, progress, tempDataDir } from './fleet.ts';

const measureS = Number(process.argv[2] ?? 20);
const WARMUP_MS = 3_000;
const MB = 2 ** 20;

// Expose gc without a command-line flag (npm run bench starts plain tsx).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Minute/hour/day spread over a month six months ahead: nothing is due for months. */
function farCron(i: number): string {
  const month = ((new Date().getUTCMonth() + 6) % 12) + 1;
  return `${i % 60} ${Math.floor(i / 60) % 24} ${(Math.floor(i / 1440) % 28) + 1} ${month} *`;
}

const data = tempDataDir();
const settings = fleetSettings({ cronFor: farCron, dataDir: data.dir });
const engine = await Engine.open({ settings, logger: benchLogger() });
engine.start();
progress(`idle: ${settings.schedules.length} schedules loaded, engine started; warming up ${WARMUP_MS / 1000} s`);
await new Promise((r) => setTimeout(r, WARMUP_MS));
gc();
const rssAfterGc = process.memoryUsage().rss / MB;
let maxRss = rssAfterGc;
const sampler = setInterval(() => (maxRss = Math.max(maxRss, process.memoryUsage().rss / MB)), 250);
progress(`idle: measuring ${measureS} s`);
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
await new Promise((r) => setTimeout(r, measureS * 1000));
const cpu = process.cpuUsage(cpuStart);
const wallMs = performance.now() - wallStart;
clearInterval(sampler);
maxRss = Math.max(maxRss, process.memoryUsage().rss / MB);
const heapUsedMb = process.memoryUsage().heapUsed / MB;
const runs = await engine.db.k.selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
await engine.close(1_000);
data.remove();
const cpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
progress(`idle: cpu ${cpuPercent.toFixed(2)} %, rss after gc ${rssAfterGc.toFixed(0)} MB, max ${maxRss.toFixed(0)} MB`);
process.stdout.write(`${JSON.stringify({ cpuPercent, rssAfterGcMb: rssAfterGc, maxRssMb: maxRss, heapUsedMb, runs: Number(runs.n), wallMs })}\n`);
