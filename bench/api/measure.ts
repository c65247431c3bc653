/**
 * Child process (bench/lib/child.ts): the whole API measurement against one real `nightshift serve`.
 *   1. seed 10,000 finished runs into a fresh SQLite store (setup, not measured);
 *   2. start `node bin/nightshift.js serve` on that store (a free port, one tenant, a no-op job that
 *      owns the seeded runs, and `burn`: a CPU-bound `node -e` loop), wait for "HTTP API listening";
 *   3. warm both endpoints up (not measured), then autocannon each for `seconds`: idle;
 *      before each measurement, wait (≤ 8 s) until nothing else on the machine is using CPU;
 *   4. trigger `burn` over HTTP, wait until the run is running and its process exists, and measure
 *      both endpoints again while it burns; check it is still running afterwards, then cancel it.
 * Prints one JSON line (ApiMeasurement). argv: [seconds] [burnSeconds]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServeProcess } from '../../test/helpers/serve-process.ts';
import { progress } from './progress.ts';
import { measureLoad, waitForQuiet, type LoadResult } from './load.ts';
import { seedFinishedRuns } from './seed.ts';
import { freePort } from '../../test/helpers/api.ts';

export const SEEDED_RUNS = 10_000;
export const CONNECTIONS = 10;
const WARMUP_S = 2;
/** Before each measurement: wait until other processes use < QUIET_PERCENT of a core, at most QUIET_MAX_WAIT_S. */
const QUIET_PERCENT = 10;
const QUIET_MAX_WAIT_S = 8;
const TENANT = 'acme';
const NOOP_JOB = 'nightly-noop';
const NOOP_SCHEDULE = 'acme-nightly-noop';
const BURN_JOB = 'burn';

export interface ApiMeasurement {
  seededRuns: number;
  seedSeconds: number;
  serverStartSeconds: number;
  burn: { runId: string; pid: number; niceness: number; serverNiceness: number; stillRunningAfter: boolean; finalStatus: string };
  idle: { health: LoadResult; runs: LoadResult };
  busy: { health: LoadResult; runs: LoadResult };
  warmup: { non2xx: number; errors: number };
  serverExit: { code: number | null; signal: string | null };
}


/** A CPU-bound loop for argv[2] ms; argv[1] is a marker that lets the bench find the process. */
const BURN_SCRIPT = [
  'const end = Date.now() + Number(process.argv[2]);',
  'let x = 0;',
  'while (Date.now() < end) { for (let i = 0; i < 100000; i++) x = (x * 33 + i) | 0; }',
  'console.log("burned", process.argv[2], "ms", x);',
].join(' ');

function writeConfig(dir: string, marker: string, burnMs: number): string {
  const file = join(dir, 'nightshift.json');
  const config = {
    tenants: [{ id: TENANT, name: 'Acme', timezone: 'UTC' }],
    jobs: [
      { id: NOOP_JOB, kind: 'command', command: process.execPath, args: ['-e', ''], timeout: '1h' },
      { id: BURN_JOB, kind: 'command', command: process.execPath, args: ['-e', BURN_SCRIPT, marker, String(burnMs)], timeout: '5m' },
    ],
    // The schedule the seeded runs came from; disabled, so nothing fires during the measurement.
    schedules: [{ id: NOOP_SCHEDULE, tenant: TENANT, job: NOOP_JOB, cron: '*/5 * * * *', enabled: false }],
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** The pid of the process whose command line contains `marker` (the burn job's node), or null. */
function findProcess(marker: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

async function call<T>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null> | T | null): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function describe(label: string, r: LoadResult): string {
  const cpu = Object.entries(r.cpuPercent).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', ');
  return `${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (autocannon ${r.autocannonP99} ms), non-2xx ${r.non2xx}, errors ${r.errors}; cpu ${cpu}, steal ${r.stealPercent.toFixed(0)}%`;
}

async function measure(seconds: number, burnSeconds: number): Promise<ApiMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-api-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const marker = `nightshift-bench-burn-${process.pid}-${port}`;
  let serve: ServeProcess | null = null;
  let burnPid: number | null = null;
  try {
    progress(`api: seeding ${SEEDED_RUNS} finished runs (setup, not measured)`);
    const now = Date.now();
    const seed = await seedFinishedRuns({ dataDir, count: SEEDED_RUNS, tenantId: TENANT, jobId: NOOP_JOB, scheduleId: NOOP_SCHEDULE, now, everyMs: 5 * 60_000 });
    if (seed.rows !== SEEDED_RUNS) throw new Error(`seeded ${seed.rows} runs, expected ${SEEDED_RUNS}`);
    progress(`api: ${seed.rows} runs inserted in ${seed.seconds.toFixed(2)} s; starting nightshift serve on port ${port}`);

    const config = writeConfig(dir, marker, burnSeconds * 1000);
    const startedAt = performance.now();
    serve = new ServeProcess({
      NIGHTSHIFT_CONFIG: config,
      NIGHTSHIFT_DATA_DIR: dataDir,
      NIGHTSHIFT_HOST: '127.0.0.1',
      NIGHTSHIFT_PORT: String(port),
      // info, not warn: "HTTP API listening" is an info line. Requests are never logged below warn
      // (src/api/app.ts httpLogger), so the request path costs the same; the engine logs only its
      // start and the burn run's start and end.
      NIGHTSHIFT_LOG_LEVEL: 'info',
      NIGHTSHIFT_SHUTDOWN_GRACE: '5s',
      NIGHTSHIFT_KILL_GRACE: '2s',
      // Measured without credentials as before authentication existed (bench/auth measures its cost).
      NIGHTSHIFT_AUTH: 'off',
    });
    await serve.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
    const serverStartSeconds = (performance.now() - startedAt) / 1000;
    const serverPid = serve.proc.pid!;
    progress(`api: listening after ${serverStartSeconds.toFixed(1)} s (pid ${serverPid})`);

    // The endpoints answer what the measurement assumes: health ok, a full default page of runs.
    const health = await call<{ status: string }>(base, 'GET', '/health');
    if (health.status !== 200 || health.body.status !== 'ok') throw new Error(`GET /health: ${health.status} ${JSON.stringify(health.body)}`);
    const page = await call<{ runs: unknown[]; nextCursor: string | null }>(base, 'GET', '/api/runs');
    if (page.status !== 200 || page.body.runs.length !== 50 || !page.body.nextCursor) throw new Error(`GET /api/runs: ${page.status}, ${page.body.runs?.length} runs`);

    const urls = { health: `${base}/health`, runs: `${base}/api/runs` } as const;
    const load = (url: string, s: number, pids: Record<string, number>) => measureLoad({ url, seconds: s, connections: CONNECTIONS, pids });
    const measured = async (label: string, url: string, pids: Record<string, number>) => {
      const quiet = await waitForQuiet(Object.values(pids), QUIET_PERCENT, QUIET_MAX_WAIT_S);
      if (quiet.otherPercent >= QUIET_PERCENT) progress(`WARNING: other processes still use ${quiet.otherPercent.toFixed(0)} % of a core after ${quiet.waitedS.toFixed(0)} s; measuring ${label} anyway`);
      const r = await load(url, seconds, pids);
      progress(describe(label, r));
      return r;
    };

    progress(`api: warm-up, ${WARMUP_S} s per endpoint (not measured)`);
    const warm = [await load(urls.health, WARMUP_S, { server: serverPid }), await load(urls.runs, WARMUP_S, { server: serverPid })];
    const warmup = { non2xx: warm.reduce((a, w) => a + w.non2xx, 0), errors: warm.reduce((a, w) => a + w.errors, 0) };

    progress(`api: idle, ${seconds} s per endpoint, ${CONNECTIONS} connections`);
    const idleHealth = await measured('idle GET /health', urls.health, { server: serverPid });
    const idleRuns = await measured('idle GET /api/runs', urls.runs, { server: serverPid });

    const trig = await call<{ runId: string }>(base, 'POST', `/api/jobs/${BURN_JOB}/trigger`, { tenantId: TENANT });
    if (trig.status !== 202) throw new Error(`POST /api/jobs/${BURN_JOB}/trigger: ${trig.status} ${JSON.stringify(trig.body)}`);
    const runId = trig.body.runId;
    await until(`run ${runId} to be running`, 15_000, async () => ((await call<{ status: string }>(base, 'GET', `/api/runs/${runId}`)).body.status === 'running' ? true : null));
    const pid = (burnPid = await until(`the burn process (${marker})`, 15_000, () => findProcess(marker)));
    // The server renices the job once it sees the spawn, a moment after the process appears: give it
    // up to 2 s (a job niceness of 0 never changes), then read the niceness the job runs at.
    const serverNiceness = getPriority(serverPid);
    const niceness = await until('the job niceness', 2_500, () => (getPriority(pid) > serverNiceness ? getPriority(pid) : null)).catch(() => getPriority(pid));
    progress(`api: ${BURN_JOB} running (run ${runId}, pid ${burnPid}, niceness ${niceness}; server niceness ${serverNiceness}); busy, ${seconds} s per endpoint`);

    const busyPids = { server: serverPid, job: burnPid };
    const busyHealth = await measured('busy GET /health', urls.health, busyPids);
    const busyRuns = await measured('busy GET /api/runs', urls.runs, busyPids);

    const after = await call<{ status: string }>(base, 'GET', `/api/runs/${runId}`);
    const stillRunningAfter = after.body.status === 'running' && findProcess(marker) === burnPid;
    const nicenessAfter = stillRunningAfter ? getPriority(burnPid) : niceness;
    if (nicenessAfter !== niceness) progress(`WARNING: the job's niceness changed from ${niceness} to ${nicenessAfter} during the busy measurements`);
    if (!stillRunningAfter) progress(`WARNING: the burn run is ${after.body.status} after the busy measurements; it should outlast them`);
    const cancel = await call<{ result: string }>(base, 'POST', `/api/runs/${runId}/cancel`);
    if (cancel.status !== 200) progress(`WARNING: cancel ${runId}: ${cancel.status} ${JSON.stringify(cancel.body)}`);
    const finalStatus = await until(`run ${runId} to end`, 15_000, async () => {
      const s = (await call<{ status: string }>(base, 'GET', `/api/runs/${runId}`)).body.status;
      return s === 'running' || s === 'queued' ? null : s;
    });

    const exit = await serve.stop('SIGTERM');
    serve = null;
    return {
      seededRuns: seed.rows,
      seedSeconds: seed.seconds,
      serverStartSeconds,
      burn: { runId, pid: burnPid, niceness: Math.min(niceness, nicenessAfter), serverNiceness, stillRunningAfter, finalStatus },
      idle: { health: idleHealth, runs: idleRuns },
      busy: { health: busyHealth, runs: busyRuns },
      warmup,
      serverExit: { code: exit.code, signal: exit.signal },
    };
  } finally {
    if (serve) await serve.stop('SIGKILL');
    if (burnPid !== null && findProcess(marker) === burnPid) process.kill(burnPid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 10);
const burnSeconds = Number(process.argv[3] ?? 30);
if (!(seconds > 0) || !(burnSeconds > 2 * (seconds + QUIET_MAX_WAIT_S))) throw new Error(`expected <seconds> > 0 and <burnSeconds> > 2 × (seconds + ${QUIET_MAX_WAIT_S}), got ${seconds}, ${burnSeconds}`);
process.stdout.write(`${JSON.stringify(await measure(seconds, burnSeconds))}\n`);
