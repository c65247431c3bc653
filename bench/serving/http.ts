/**
 * Child process (bench/lib/child.ts): HTTP predict against one real `nightshift serve`.
 *   1. start `node bin/nightshift.js serve` on a fresh SQLite store (temporary directory, a free
 *      port) with a JSON config file declaring the tenant, the `machines` dataset
 *      (predictive-maintenance schema) and the `failure` model: GBDT, 100 trees of ≤ 31 leaves, the
 *      plain-column spec (sensors + machine model), so predicting never reads history;
 *   2. ingest the fleet (bench/serving/fleet.ts, ending now) as one CSV body over the API, train
 *      twice over the API (POST …/models/failure/train, waiting for each run): v1 and v2, both
 *      promoted by the gate;
 *   3. throughput: autocannon POSTs `{"values": {…}}` (one row, the latest sample of each of the
 *      20 machines in turn) to …/models/failure/predict for `seconds`, 10 connections;
 *   4. with history: the same load against `failure_history`, the demo's failure model (its
 *      feature spec from examples/demo/nightshift.yaml: 6 h lags, 48 h rolling windows), each row
 *      with its machine as entity at the server's now, so each needs the machine's last 48 h of
 *      samples: from the history cache (bench/serving/history.ts);
 *   5. swap under load: the same load for SWAP_S seconds while the champion changes: a training run
 *      triggered as the load starts (promoted by the gate: v3, swapped in when the run ends), then
 *      every SWAP_EVERY_MS a change by hand (POST …/rollback, POST …/promote, cycling through the
 *      versions); every response's `version` is counted;
 *   6. with history, cache off: the server restarted on the same store with
 *      NIGHTSHIFT_HISTORY_CACHE_SAMPLES=0 (every request reads the store, as before the cache), the
 *      load of 4 again; and the answers of both servers to the same rows at a fixed time, compared.
 * Before each measurement it waits for a quiet machine; a throughput measurement during which other
 * processes used more than NOISY_PERCENT of a core is taken again (3 tries at most).
 * Prints one JSON line (HttpMeasurement). argv: [seconds]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SYNTHETIC_SENSORS } from '../../src/data/synthetic/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { freePort } from '../../test/helpers/api.ts';
import { ServeProcess } from '../../test/helpers/serve-process.ts';
import { waitForQuiet } from '../api/load.ts';
import { progress } from '../api/progress.ts';
import { fleetSamples, GBDT_PARAMS } from './fleet.ts';
import { answers, HISTORY_MODEL, historyBodies, historyCacheOf, historyModel, type HistoryCacheReading } from './history.ts';
import { measurePost, type PostLoadResult } from './load.ts';

export const CONNECTIONS = 10;
const WARMUP_S = 3;
export const SWAP_S = 20;
export const SWAP_EVERY_MS = 1_500;
const QUIET_PERCENT = 10;
const QUIET_MAX_WAIT_S = 60;
const NOISY_PERCENT = 25;
const TRIES = 3;
export const TENANT = 'acme';
export const DATASET = 'machines';
const MODEL = 'failure';
export const MODEL_PATH = `/api/tenants/${TENANT}/models/${MODEL}`;

export interface SwapMeasurement {
  load: PostLoadResult;
  /** Responses per champion version, as their `version` field said. */
  responsesByVersion: Record<string, number>;
  /** 2xx responses whose body had no version (should be 0). */
  responsesWithoutVersion: number;
  /** Champion changes during the load: promote/rollback calls that changed it, plus the training run's promotion if it ended in time. */
  championChanges: number;
  byHand: { calls: number; changed: number; failed: number };
  training: { runId: string; endedDuringLoad: boolean; outcome: string | null; seconds: number | null };
}

export interface HistoryMeasurement {
  /** With the history cache (the default). */
  throughput: PostLoadResult;
  tries: number;
  /** The cache's counters over the measurement (hits, misses, store reads), from /health. */
  cache: { hits: number; misses: number; storeReads: number; samples: number; entities: number };
  /** The same load with NIGHTSHIFT_HISTORY_CACHE_SAMPLES=0 (every request reads the store). */
  noCache: PostLoadResult;
  noCacheTries: number;
  /** Rows (one per machine, at a fixed time) answered differently with and without the cache (should be 0). */
  mismatches: number;
  compared: number;
}

export interface HttpMeasurement {
  samples: number;
  ingestSeconds: number;
  trainSeconds: number[];
  serverStartSeconds: number;
  throughput: PostLoadResult;
  throughputTries: number;
  history: HistoryMeasurement;
  swap: SwapMeasurement;
  warmup: { non2xx: number; errors: number };
  serverExit: { code: number | null; signal: string | null };
}

const COLUMNS = ['machine_id', 'timestamp', 'model', ...SYNTHETIC_SENSORS, 'fails_within_24h'] as const;

/** Samples as the CSV body the ingest endpoint takes (the predictive-maintenance schema). */
export function csvOf(samples: readonly RawSample[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  const lines = samples.map((s) => [s.entity, new Date(s.ts).toISOString(), cell(s.values.model), ...SYNTHETIC_SENSORS.map((c) => cell(s.values[c])), cell(s.label)].join(','));
  return `${COLUMNS.join(',')}\n${lines.join('\n')}\n`;
}

export function writeConfig(dir: string): string {
  const file = join(dir, 'nightshift.json');
  const config = {
    tenants: [{ id: TENANT, name: 'Acme', timezone: 'UTC' }],
    datasets: [{ id: DATASET, schema: 'predictive-maintenance' }],
    models: [
      {
        name: MODEL,
        description: 'the machine fails within 24 h (serving benchmark)',
        task: 'binary',
        dataset: DATASET,
        features: { continuous: [...SYNTHETIC_SENSORS], categorical: ['model'] },
        trainer: { kind: 'gbdt', params: { ...GBDT_PARAMS } },
        gate: { thresholds: { auc: 0.7 }, change: { maxDecrease: 0.02 } },
        mode: 'full',
        dataRangeDays: 90,
      },
      historyModel(DATASET),
    ],
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export async function call<T>(base: string, method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface RunBody {
  id: string;
  status: string;
  outcome: string | null;
  reason: string | null;
  durationMs: number | null;
  error: unknown;
}

const runEnded = (base: string, runId: string) => async () => {
  const r = (await call<RunBody>(base, 'GET', `/api/runs/${runId}`)).body;
  return r.status === 'queued' || r.status === 'running' ? null : r;
};

export async function trainAndWait(base: string, description: string, modelPath = MODEL_PATH): Promise<{ run: RunBody; seconds: number }> {
  const t0 = performance.now();
  const started = await call<RunBody>(base, 'POST', `${modelPath}/train`, { description });
  if (started.status !== 202) throw new Error(`POST ${modelPath}/train: ${started.status} ${JSON.stringify(started.body)}`);
  const run = await until(`training run ${started.body.id}`, 5 * 60_000, runEnded(base, started.body.id));
  if (run.outcome !== 'promoted') throw new Error(`training run ${run.id} ended ${run.status}/${run.outcome}: ${run.reason ?? JSON.stringify(run.error)}`);
  return { run, seconds: (performance.now() - t0) / 1000 };
}

function describe(label: string, r: PostLoadResult): string {
  const cpu = Object.entries(r.cpuPercent).map(([k, v]) => `${k} ${v.toFixed(0)}%`).join(', ');
  return `${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (autocannon ${r.autocannonP99} ms), non-2xx ${r.non2xx}, errors ${r.errors}; cpu ${cpu}, steal ${r.stealPercent.toFixed(0)}%`;
}

async function quiet(label: string, pids: number[]): Promise<void> {
  const q = await waitForQuiet(pids, QUIET_PERCENT, QUIET_MAX_WAIT_S);
  if (q.otherPercent >= QUIET_PERCENT) progress(`WARNING: other processes still use ${q.otherPercent.toFixed(0)} % of a core after ${q.waitedS.toFixed(0)} s; measuring ${label} anyway`);
}

/** Throughput with retries while other processes were busy (NOISY_PERCENT), each try after a quiet wait. */
async function throughputOf(label: string, url: string, bodies: readonly string[], seconds: number, serverPid: number): Promise<{ result: PostLoadResult; tries: number }> {
  for (let tries = 1; ; tries++) {
    await quiet(label, [serverPid]);
    const result = await measurePost({ url, bodies, seconds, connections: CONNECTIONS, pids: { server: serverPid } });
    progress(describe(`${label} (try ${tries})`, result));
    if (result.cpuPercent.other! <= NOISY_PERCENT || tries === TRIES) {
      if (result.cpuPercent.other! > NOISY_PERCENT) progress(`WARNING: the machine was not quiet during ${label} (${TRIES} tries); kept`);
      return { result, tries };
    }
  }
}

function startServer(dir: string, port: number, env: Record<string, string> = {}): ServeProcess {
  return new ServeProcess({
    NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'),
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_HOST: '127.0.0.1',
    NIGHTSHIFT_PORT: String(port),
    // info, not warn: "HTTP API listening" is an info line; requests are never logged below warn.
    NIGHTSHIFT_LOG_LEVEL: 'info',
    // No scheduled training: only the runs this benchmark triggers.
    ML_TRAINING_ENABLED: 'false',
    NIGHTSHIFT_SHUTDOWN_GRACE: '5s',
    NIGHTSHIFT_KILL_GRACE: '2s',
    // The serving path alone; bench/auth measures what authentication costs it.
    NIGHTSHIFT_AUTH: 'off',
    NIGHTSHIFT_RATE_PREDICT: '1000000000',
    NIGHTSHIFT_RATE_INGEST: '1000000000',
    NIGHTSHIFT_RATE_TRAIN: '1000000000',
    ...env,
  });
}

async function measure(seconds: number): Promise<HttpMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-serving-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let serve: ServeProcess | null = null;
  try {
    const startedAt = performance.now();
    writeConfig(dir);
    serve = startServer(dir, port);
    await serve.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
    await serve.waitForLog((l) => l.msg === 'declared datasets ready', 60_000);
    const serverStartSeconds = (performance.now() - startedAt) / 1000;
    const serverPid = serve.proc.pid!;
    progress(`serving: nightshift serve listening after ${serverStartSeconds.toFixed(1)} s (pid ${serverPid})`);

    // Setup (not measured): ingest over the API, then v1 and v2 trained and promoted over the API.
    const samples = fleetSamples(Date.now());
    const t0 = performance.now();
    const ingest = await call<{ accepted: number }>(base, 'POST', `/api/tenants/${TENANT}/datasets/${DATASET}/samples`, csvOf(samples), 'text/csv');
    const ingestSeconds = (performance.now() - t0) / 1000;
    if (ingest.status !== 200 || ingest.body.accepted !== samples.length) throw new Error(`ingest: ${ingest.status} ${JSON.stringify(ingest.body).slice(0, 500)}`);
    progress(`serving: ingested ${samples.length} samples over the API in ${ingestSeconds.toFixed(2)} s`);
    const trainSeconds: number[] = [];
    for (const n of [1, 2]) {
      const t = await trainAndWait(base, `serving benchmark: v${n}`);
      trainSeconds.push(t.seconds);
      progress(`serving: training run ${t.run.id} promoted v${n} (${t.seconds.toFixed(1)} s)`);
    }
    const historyPath = `/api/tenants/${TENANT}/models/${HISTORY_MODEL}`;
    const h = await trainAndWait(base, 'serving benchmark: the demo model (lags, rolling windows)', historyPath);
    progress(`serving: training run ${h.run.id} promoted ${HISTORY_MODEL} v1 (${h.seconds.toFixed(1)} s)`);

    // One row per machine: its latest sample's raw values, as a client would send them.
    const latest = new Map<string, RawSample>();
    for (const s of samples) latest.set(s.entity, s);
    const bodies = [...latest.values()].map((s) => JSON.stringify({ values: s.values }));
    const url = `${base}${MODEL_PATH}/predict`;
    const check = await call<{ version: number; predictions: Array<{ probability: number }> }>(base, 'POST', `${MODEL_PATH}/predict`, bodies[0]);
    if (check.status !== 200 || check.body.version !== 2 || !(check.body.predictions[0]!.probability >= 0)) throw new Error(`predict: ${check.status} ${JSON.stringify(check.body)}`);

    progress(`serving: warm-up, ${WARMUP_S} s (not measured)`);
    const warm = await measurePost({ url, bodies, seconds: WARMUP_S, connections: CONNECTIONS, pids: { server: serverPid } });
    const warmup = { non2xx: warm.non2xx, errors: warm.errors };

    const plain = await throughputOf('predict throughput', url, bodies, seconds, serverPid);

    // With history: the demo's model, every row with its machine, at the server's now.
    const historyUrl = `${base}${historyPath}/predict`;
    const liveBodies = historyBodies(samples);
    const fixedBodies = historyBodies(samples, Date.now() - 30 * 60_000);
    const cachedAnswers = await answers(historyUrl, fixedBodies);
    progress(`serving: warm-up with history, ${WARMUP_S} s (not measured)`);
    const warmHistory = await measurePost({ url: historyUrl, bodies: liveBodies, seconds: WARMUP_S, connections: CONNECTIONS, pids: { server: serverPid } });
    warmup.non2xx += warmHistory.non2xx;
    warmup.errors += warmHistory.errors;
    const before = await historyCacheOf(base);
    const withCache = await throughputOf('predict with history', historyUrl, liveBodies, seconds, serverPid);
    const after = await historyCacheOf(base);
    const cache = cacheDelta(before, after);
    progress(`serving: history cache over the measurement ${JSON.stringify(cache)}`);

    await quiet('swap under load', [serverPid]);
    const swap = await swapUnderLoad(base, url, bodies, serverPid);
    progress(describe('swap under load', swap.load));
    progress(`serving: responses by version ${JSON.stringify(swap.responsesByVersion)}, champion changes ${swap.championChanges}, training ${JSON.stringify(swap.training)}`);

    const exit = await serve.stop('SIGTERM');
    serve = null;

    // The same history load with the cache off: every request reads the store (as before the cache).
    progress('serving: restarting nightshift serve with NIGHTSHIFT_HISTORY_CACHE_SAMPLES=0 on the same store');
    serve = startServer(dir, port, { NIGHTSHIFT_HISTORY_CACHE_SAMPLES: '0' });
    await serve.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
    const plainAnswers = await answers(historyUrl, fixedBodies);
    const mismatches = cachedAnswers.filter((a, i) => a !== plainAnswers[i]).length;
    progress(`serving: ${fixedBodies.length} rows at a fixed time answered with the cache and without: ${mismatches} differ`);
    await measurePost({ url: historyUrl, bodies: liveBodies, seconds: WARMUP_S, connections: CONNECTIONS, pids: { server: serve.proc.pid! } });
    const noCache = await throughputOf('predict with history, cache off', historyUrl, liveBodies, seconds, serve.proc.pid!);
    await serve.stop('SIGTERM');
    serve = null;

    const history: HistoryMeasurement = {
      throughput: withCache.result,
      tries: withCache.tries,
      cache,
      noCache: noCache.result,
      noCacheTries: noCache.tries,
      mismatches,
      compared: fixedBodies.length,
    };
    return { samples: samples.length, ingestSeconds, trainSeconds, serverStartSeconds, throughput: plain.result, throughputTries: plain.tries, history, swap, warmup, serverExit: { code: exit.code, signal: exit.signal } };
  } finally {
    if (serve) await serve.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function cacheDelta(before: HistoryCacheReading | null, after: HistoryCacheReading | null): HistoryMeasurement['cache'] {
  if (!before || !after) throw new Error('/health shows no historyCache');
  return { hits: after.hits - before.hits, misses: after.misses - before.misses, storeReads: after.storeReads - before.storeReads, samples: after.samples, entities: after.entities };
}

/**
 * The load, with champion changes meanwhile; every response's version is counted. First a training
 * run (triggered as the load starts): when it passes the gate it is promoted and swapped in as v3.
 * Then, every SWAP_EVERY_MS until shortly before the load ends, a change by hand, cycling
 * rollback → v1, promote → newest, rollback → v2, promote → newest (newest: v3, or v2 when the
 * training was not promoted). Changes by hand wait for the training run, because a champion moved
 * while it trains makes the run end `champion_changed` instead of promoting.
 */
async function swapUnderLoad(base: string, url: string, bodies: readonly string[], serverPid: number): Promise<SwapMeasurement> {
  const byVersion = new Map<string, number>();
  let withoutVersion = 0;
  const onBody = (status: number, body: string) => {
    if (status < 200 || status >= 300) return;
    const m = /"version":(\d+)/.exec(body);
    if (!m) withoutVersion++;
    else byVersion.set(m[1]!, (byVersion.get(m[1]!) ?? 0) + 1);
  };
  const loadStart = performance.now();
  const loading = measurePost({ url, bodies, seconds: SWAP_S, connections: CONNECTIONS, pids: { server: serverPid }, onBody });
  const lastChangeBy = loadStart + (SWAP_S - 1) * 1000;

  const started = await call<RunBody>(base, 'POST', `${MODEL_PATH}/train`, { description: 'serving benchmark: trained during the swap measurement' });
  if (started.status !== 202) throw new Error(`POST ${MODEL_PATH}/train: ${started.status} ${JSON.stringify(started.body)}`);
  const runId = started.body.id;
  // Wait for the run while the load lasts (it competes with the load for the two cores, at niceness 10).
  let run: RunBody | null = null;
  let trainingEndedAt = Number.POSITIVE_INFINITY;
  while (run === null && performance.now() < lastChangeBy) {
    run = await runEnded(base, runId)();
    if (run) trainingEndedAt = performance.now();
    else await new Promise((r) => setTimeout(r, 50));
  }
  const newest = run?.outcome === 'promoted' ? 3 : 2;
  const cycle = newest === 3 ? [{ rollback: 1 }, { promote: 3 }, { rollback: 2 }, { promote: 3 }] : [{ rollback: 1 }, { promote: 2 }];

  const byHand = { calls: 0, changed: 0, failed: 0 };
  for (let k = 0; performance.now() + SWAP_EVERY_MS < lastChangeBy; k++) {
    await new Promise((r) => setTimeout(r, SWAP_EVERY_MS));
    const step = cycle[k % cycle.length]!;
    const res =
      'rollback' in step
        ? await call<{ changed: boolean }>(base, 'POST', `${MODEL_PATH}/rollback`, { targetVersion: step.rollback, reason: 'serving benchmark: swap under load' })
        : await call<{ changed: boolean }>(base, 'POST', `${MODEL_PATH}/promote`, { version: step.promote, reason: 'serving benchmark: swap under load' });
    byHand.calls++;
    if (res.status !== 200) {
      byHand.failed++;
      progress(`WARNING: champion change ${JSON.stringify(step)}: ${res.status} ${JSON.stringify(res.body)}`);
    } else if (res.body.changed) byHand.changed++;
  }
  const load = await loading;
  const loadEnd = performance.now();
  if (run === null) {
    progress(`WARNING: training run ${runId} had not ended ${SWAP_S - 1} s into the load; waiting for it after the load`);
    run = await until(`training run ${runId}`, 10 * 60_000, runEnded(base, runId));
    trainingEndedAt = performance.now();
  }
  const endedDuringLoad = trainingEndedAt <= loadEnd;
  return {
    load,
    responsesByVersion: Object.fromEntries([...byVersion].sort((a, b) => Number(a[0]) - Number(b[0]))),
    responsesWithoutVersion: withoutVersion,
    championChanges: byHand.changed + (endedDuringLoad && run.outcome === 'promoted' ? 1 : 0),
    byHand,
    training: { runId, endedDuringLoad, outcome: run.outcome, seconds: run.durationMs === null ? null : run.durationMs / 1000 },
  };
}

// Run as the measurement child; imported (bench/auth reuses the setup above), it measures nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.argv[2] ?? 10);
  if (!(seconds > 0)) throw new Error(`expected <seconds> > 0, got ${process.argv[2]}`);
  process.stdout.write(`${JSON.stringify(await measure(seconds))}\n`);
}
