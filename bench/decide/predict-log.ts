/**
 * Child process (bench/lib/child.ts): what logging served predictions (for the live metric) costs
 * the serving benchmark's throughput, on the path the service takes: a real `nightshift serve`
 * (SQLite), the serving benchmark's model (bench/serving/fleet.ts: GBDT of 100 trees on the plain
 * sensor spec) trained over the API, and autocannon POSTing one row per request to
 * …/models/failure/predict at 10 connections, as bench/serving/http.ts does. Each row carries its
 * machine and a distinct time (a prediction is logged only with an entity), so with logging on
 * every request is sampled, buffered and written (NIGHTSHIFT_PREDICTION_LOG_SAMPLE=1, the default).
 *
 * The server is restarted on the same store with logging on and off, PAIRS times in turn, the order
 * swapped every pair (the machine's load drifts; alternating keeps both sides under the same); each mode's best req/s is
 * kept and the cost is 1 − on/off. Prints one JSON line (PredictLogMeasurement). argv: [seconds]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SYNTHETIC_SENSORS } from '../../src/data/synthetic/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { fleetCsv } from '../../test/fixtures/training/fleet.ts';
import { freePort } from '../../test/helpers/api.ts';
import { ServeProcess } from '../../test/helpers/serve-process.ts';
import { progress } from '../api/progress.ts';
import { fleetSamples, GBDT_PARAMS } from '../serving/fleet.ts';
import { measureLoad, processTreeCpuSeconds } from '../api/load.ts';
import type { PostLoadResult } from '../serving/load.ts';

const CONNECTIONS = 10;
const WARMUP_S = 3;
export const PAIRS = 3;
/** Distinct (machine, time) rows, split between the measurements (one repeats its slice only past 50,000 requests). */
const TIMES_PER_MACHINE = 15_000;
const MODEL_PATH = '/api/tenants/acme/models/failure';

export interface PredictLogMeasurement {
  on: PostLoadResult[];
  off: PostLoadResult[];
  bestOn: number;
  bestOff: number;
  /** 1 − bestOn / bestOff, in %. */
  costPercent: number;
  /** Server CPU seconds per 1,000 requests (least of each mode), and the throughput cost they imply for a CPU-bound server: 1 − off/on. */
  cpuPer1kOn: number;
  cpuPer1kOff: number;
  cpuCostPercent: number;
  /**
   * The same cost per pair (its on and off measurements ran back to back, under about the same load
   * from other processes), the median over the pairs: steadier than the best of each mode when the
   * machine's load drifts between pairs.
   */
  pairedCpuCostPercent: number;
  /** Rows in prediction_log at the end (the logged predictions of the "on" measurements and their warm-ups). */
  loggedRows: number;
  requestsOn: number;
}

function writeConfig(dir: string): void {
  const config = {
    tenants: [{ id: 'acme', name: 'Acme', timezone: 'UTC' }],
    datasets: [{ id: 'machines', schema: 'predictive-maintenance' }],
    models: [
      {
        name: 'failure',
        task: 'binary',
        dataset: 'machines',
        features: { continuous: [...SYNTHETIC_SENSORS], categorical: ['model'] },
        trainer: { kind: 'gbdt', params: { ...GBDT_PARAMS } },
        gate: { thresholds: { auc: 0.7 } },
        mode: 'full',
        dataRangeDays: 90,
      },
    ],
  };
  writeFileSync(join(dir, 'nightshift.json'), JSON.stringify(config));
}

function startServer(dir: string, port: number, sampleRate: number): ServeProcess {
  return new ServeProcess({
    NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'),
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_HOST: '127.0.0.1',
    NIGHTSHIFT_PORT: String(port),
    NIGHTSHIFT_LOG_LEVEL: 'info',
    // The serving benchmark's settings: no credentials on the load's requests, rate budgets never reached.
    NIGHTSHIFT_AUTH: 'off',
    NIGHTSHIFT_RATE_PREDICT: '1000000000',
    NIGHTSHIFT_RATE_INGEST: '1000000000',
    NIGHTSHIFT_RATE_TRAIN: '1000000000',
    ML_TRAINING_ENABLED: 'false',
    NIGHTSHIFT_SHUTDOWN_GRACE: '5s',
    NIGHTSHIFT_PREDICTION_LOG_SAMPLE: String(sampleRate),
  });
}

async function call<T>(base: string, method: string, path: string, body?: string, type = 'application/json'): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': type }, body }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function trainOnce(base: string): Promise<void> {
  const started = await call<{ id: string }>(base, 'POST', `${MODEL_PATH}/train`, '{}');
  if (started.status !== 202) throw new Error(`train: ${started.status} ${JSON.stringify(started.body)}`);
  for (;;) {
    const run = (await call<{ status: string; outcome: string | null }>(base, 'GET', `/api/runs/${started.body.id}`)).body;
    if (run.status !== 'queued' && run.status !== 'running') {
      if (run.outcome !== 'promoted') throw new Error(`training ended ${run.status}/${run.outcome}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One body per (machine, time): the machine's latest values, a time a second apart going back from now. */
function bodiesOf(samples: readonly RawSample[], now: number): string[] {
  const latest = new Map<string, RawSample>();
  for (const s of samples) latest.set(s.entity, s);
  const out: string[] = [];
  for (let k = 0; k < TIMES_PER_MACHINE; k++) for (const s of latest.values()) out.push(JSON.stringify({ entity: s.entity, ts: now - k * 1000, values: s.values }));
  return out;
}

/**
 * The serving benchmark's load (bench/serving/load.ts), except that every request takes the next
 * body of one shared sequence: with a list per connection, the 10 connections would send the same
 * rows, and 9 in 10 predictions would be logged rows already (written, but as conflicts).
 */
function load(url: string, bodies: readonly string[], seconds: number, serverPid: number): Promise<PostLoadResult> {
  const headers = { 'content-type': 'application/json' };
  let next = 0;
  return measureLoad({
    url,
    seconds,
    connections: CONNECTIONS,
    pids: { server: serverPid },
    cpuSeconds: processTreeCpuSeconds,
    requestOptions: { method: 'POST', headers, requests: [{ method: 'POST', headers, setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }) }] },
  });
}

/** Server CPU seconds per 1,000 requests over a measurement. */
const cpuPer1k = (r: PostLoadResult) => (1000 * ((r.cpuPercent.server ?? 0) / 100) * r.seconds) / Math.max(1, r.requests);

async function measure(seconds: number): Promise<PredictLogMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-predict-log-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let serve: ServeProcess | null = null;
  try {
    writeConfig(dir);
    serve = startServer(dir, port, 1);
    await serve.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
    await serve.waitForLog((l) => l.msg === 'declared datasets ready', 60_000);
    const samples = fleetSamples(Date.now());
    const ingest = await call<{ accepted: number }>(base, 'POST', '/api/tenants/acme/datasets/machines/samples', fleetCsv(samples), 'text/csv');
    if (ingest.status !== 200) throw new Error(`ingest: ${ingest.status} ${JSON.stringify(ingest.body).slice(0, 300)}`);
    await trainOnce(base);
    progress(`decide/predict-log: ${samples.length} samples ingested, the model trained over the API`);
    await serve.stop('SIGTERM');
    serve = null;

    // Distinct rows for every measurement, so that no prediction is logged twice.
    const bodies = bodiesOf(samples, Date.now());
    const perRun = Math.floor(bodies.length / (2 * PAIRS));
    const url = `${base}${MODEL_PATH}/predict`;
    const on: PostLoadResult[] = [];
    const off: PostLoadResult[] = [];
    let slice = 0;
    for (let pair = 0; pair < PAIRS; pair++) {
      // On first, then off first: neither side always follows a fresh start of the machine's other work.
      for (const sampleRate of pair % 2 === 0 ? [1, 0] : [0, 1]) {
        serve = startServer(dir, port, sampleRate);
        await serve.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
        await serve.waitForLog((l) => l.msg === 'declared datasets ready', 60_000);
        const mine = bodies.slice(slice * perRun, (slice + 1) * perRun);
        slice++;
        // One request first: a load of error responses would measure the error path.
        const probe = await call<unknown>(base, 'POST', `${MODEL_PATH}/predict`, mine[0]!);
        if (probe.status !== 200) throw new Error(`predict: ${probe.status} ${JSON.stringify(probe.body).slice(0, 300)}`);
        await load(url, mine.slice(0, 5000), WARMUP_S, serve.proc.pid!);
        const r = await load(url, mine.slice(5000), seconds, serve.proc.pid!);
        (sampleRate === 1 ? on : off).push(r);
        progress(`decide/predict-log: logging ${sampleRate === 1 ? 'on ' : 'off'}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}; server CPU ${cpuPer1k(r).toFixed(3)} s per 1,000 requests; other processes ${r.cpuPercent.other!.toFixed(0)} % of a core`);
        const exit = await serve.stop('SIGTERM');
        serve = null;
        if (exit.code !== 0) progress(`WARNING: serve exited ${JSON.stringify(exit)}`);
      }
    }
    const db = new Database(join(dir, 'data', 'nightshift.db'), { readonly: true });
    const loggedRows = Number((db.prepare('select count(*) as n from prediction_log').get() as { n: number }).n);
    db.close();
    const bestOn = Math.max(...on.map((r) => r.rps));
    const bestOff = Math.max(...off.map((r) => r.rps));
    const requestsOn = on.reduce((s, r) => s + r.requests, 0);
    const cpuOn = Math.min(...on.map(cpuPer1k));
    const cpuOff = Math.min(...off.map(cpuPer1k));
    const paired = on.map((r, i) => 100 * (1 - cpuPer1k(off[i]!) / cpuPer1k(r))).sort((a, b) => a - b);
    const pairedCpuCostPercent = paired[paired.length >> 1]!;
    return { on, off, bestOn, bestOff, costPercent: 100 * (1 - bestOn / bestOff), cpuPer1kOn: cpuOn, cpuPer1kOff: cpuOff, cpuCostPercent: 100 * (1 - cpuOff / cpuOn), pairedCpuCostPercent, loggedRows, requestsOn };
  } finally {
    if (serve) await serve.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 8);
if (!(seconds > 0)) throw new Error(`expected <seconds> > 0, got ${process.argv[2]}`);
process.stdout.write(`${JSON.stringify(await measure(seconds))}\n`);
