/**
 * The auth benchmark's measurements, in one fresh process (bench/auth.ts): one store with a GBDT
 * champion (the serving benchmark's model, trained over the API), then single-row predict under
 * closed-loop HTTP loads with authentication off (no credentials) and on (an HS256 JWT verified on
 * every request: each request carries a token the server has not seen lately, so its verified-token
 * memory never answers; the same token on every request, as a client holding one token sends it, for
 * context; an API key, one store read per request, for context).
 *
 * One server process answers both (bench/auth/two-doors-server.ts: the service with authentication on,
 * and a second HTTP app over the same engine with it off, on another port), and the loads take turns
 * in quarter-second phases (bench/auth/phased-load.ts). This machine's speed drifts by a third within
 * a minute and by ±15 % between two 2-second windows a second apart (a shared host: the same load
 * measured 4,700 and 6,100 req/s a minute apart); the phases give every load the same machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { RawSample } from '../../src/data/types.ts';
import { freePort } from '../../test/helpers/api.ts';
import { ServeProcess } from '../../test/helpers/serve-process.ts';
import { waitForQuiet } from '../api/load.ts';
import { progress } from '../api/progress.ts';
import { fleetSamples } from '../serving/fleet.ts';
import { call, csvOf, DATASET, MODEL_PATH, TENANT, trainAndWait, writeConfig } from '../serving/http.ts';
import { pool, runPhased, type PhasedLoad, type PhasedResult, type PhasedRun } from './phased-load.ts';

const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface AuthMeasurement {
  unauthenticated: PhasedResult;
  jwt: PhasedResult;
  jwtReused: PhasedResult;
  apiKey: PhasedResult;
  /** Over the whole measurement, % of a core. */
  stealPercent: number;
  otherCpuPercent: number;
  clientCpuPercent: number;
}

/** Keep-alive connections per load, each with a request in flight during the load's phases. */
const CONNECTIONS = 10;
const PHASE_MS = 250;
const WARMUP_S = 6;
/** Server processes measured in turn, each for its share of the time: what differs between two processes averages out. */
const PROCESSES = 2;

/** The benchmark's server, built with the service (scripts/build.mjs) so it runs the same bundle. */
const SERVER_ENTRY = 'bench-auth-server';
const ROOT = join(import.meta.dirname, '..', '..');

function buildServer(): string {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), `${SERVER_ENTRY}=bench/auth/two-doors-server.ts`], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(ROOT, 'dist', `${SERVER_ENTRY}.js`);
}

function env(dir: string, port: number, auth: 'on' | 'off'): Record<string, string> {
  return {
    NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'),
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_HOST: '127.0.0.1',
    NIGHTSHIFT_PORT: String(port),
    NIGHTSHIFT_LOG_LEVEL: 'info',
    ML_TRAINING_ENABLED: 'false',
    NIGHTSHIFT_SHUTDOWN_GRACE: '5s',
    NIGHTSHIFT_AUTH: auth,
    NIGHTSHIFT_JWT_SECRET: SECRET,
    // The budgets stay in the path (both modes count every request) but are never reached.
    NIGHTSHIFT_RATE_PREDICT: '1000000000',
    NIGHTSHIFT_RATE_INGEST: '1000000000',
    NIGHTSHIFT_RATE_TRAIN: '1000000000',
  };
}

async function measure(seconds: number): Promise<AuthMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-auth-'));
  const servers: ServeProcess[] = [];
  try {
    const serverBin = buildServer();
    writeConfig(dir);
    // Setup (not measured): the data and a champion, over the API of `nightshift serve` with authentication off.
    const setupPort = await freePort();
    const base = `http://127.0.0.1:${setupPort}`;
    const setup = new ServeProcess(env(dir, setupPort, 'off'));
    servers.push(setup);
    await setup.waitForLog((l) => l.msg === 'declared datasets ready', 60_000);
    const samples = fleetSamples(Date.now());
    const ingest = await call<{ accepted: number }>(base, 'POST', `/api/tenants/${TENANT}/datasets/${DATASET}/samples`, csvOf(samples), 'text/csv');
    if (ingest.status !== 200) throw new Error(`ingest: ${ingest.status} ${JSON.stringify(ingest.body).slice(0, 300)}`);
    const trained = await trainAndWait(base, 'auth benchmark');
    progress(`auth: champion trained (${trained.seconds.toFixed(1)} s)`);
    const created = await call<{ token: string }>(base, 'POST', '/api/keys', { tenant: TENANT, role: 'operator', name: 'auth benchmark' });
    if (created.status !== 201) throw new Error(`POST /api/keys: ${created.status} ${JSON.stringify(created.body)}`);
    await setup.stop('SIGTERM');
    servers.length = 0;

    const latest = new Map<string, RawSample>();
    for (const s of samples) latest.set(s.entity, s);
    const bodies = [...latest.values()].map((s) => JSON.stringify({ values: s.values }));
    // Valid for the whole run. TOKENS distinct tokens (by jti) in turn, eight times the server's
    // memory of verified tokens: each request's token is one it no longer remembers, so it verifies
    // the signature and the claims on every request.
    const sign = (jti: string) =>
      new SignJWT({ role: 'operator', tenant: TENANT }).setProtectedHeader({ alg: 'HS256' }).setSubject('bench').setJti(jti).setIssuedAt().setExpirationTime('2h').sign(Buffer.from(SECRET));
    const jwt = await sign('reused');
    const TOKENS = 8192;
    const rotating = await Promise.all(Array.from({ length: TOKENS }, (_, i) => sign(`t${i}`).then((t) => ({ authorization: `Bearer ${t}` }))));

    const runs: PhasedRun[] = [];
    let names: string[] = [];
    for (let p = 0; p < PROCESSES; p++) {
      const [offPort, onPort] = [await freePort(), await freePort()];
      const server = new ServeProcess({ ...env(dir, onPort, 'on'), BENCH_UNAUTHENTICATED_PORT: String(offPort) }, [], serverBin);
      servers.push(server);
      await server.waitForLog((l) => l.msg === 'unauthenticated HTTP API listening', 60_000);
      const urlOf = (port: number) => `http://127.0.0.1:${port}${MODEL_PATH}/predict`;
      const withBodies = (headers: readonly Record<string, string>[]) => Array.from({ length: Math.max(headers.length, bodies.length) }, (_, i) => ({ headers: headers[i % headers.length]!, body: bodies[i % bodies.length]! }));
      const loads: PhasedLoad[] = [
        { name: 'unauthenticated', url: urlOf(offPort), requests: withBodies([{}]) },
        { name: 'JWT HS256, a new token each request', url: urlOf(onPort), requests: withBodies(rotating) },
        { name: 'JWT HS256, one token', url: urlOf(onPort), requests: withBodies([{ authorization: `Bearer ${jwt}` }]) },
        { name: 'API key', url: urlOf(onPort), requests: withBodies([{ authorization: `Bearer ${created.body.token}` }]) },
      ];
      names = loads.map((l) => l.name);
      await waitForQuiet([server.proc.pid!], 10, 30);
      const run = await runPhased({ loads, connections: CONNECTIONS, phaseMs: PHASE_MS, seconds: seconds / PROCESSES, warmupSeconds: WARMUP_S, serverPid: server.proc.pid! });
      runs.push(run);
      const one = pool(names, [run]).results;
      progress(`auth: server ${p + 1}/${PROCESSES}: ${one.map((r) => `${r.name} ${r.rps.toFixed(0)} req/s`).join(', ')}; JWT/unauthenticated ${(one[1]!.rps / one[0]!.rps).toFixed(3)}`);
      await server.stop('SIGTERM');
      servers.pop();
    }
    const m = pool(names, runs);
    for (const r of m.results) {
      progress(`auth: ${r.name}: ${r.rps.toFixed(0)} req/s over ${r.seconds.toFixed(1)} s, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, server ${r.serverCpuPercent.toFixed(0)} % of a core, ${(r.serverCpuMsPerRequest * 1000).toFixed(1)} µs a request`);
    }
    progress(`auth: client ${m.clientCpuPercent.toFixed(0)} %, other ${m.otherCpuPercent.toFixed(0)} %, steal ${m.stealPercent.toFixed(1)} % of a core`);
    const [unauthenticated, jwtResult, jwtReused, apiKey] = m.results as [PhasedResult, PhasedResult, PhasedResult, PhasedResult];
    return { unauthenticated, jwt: jwtResult, jwtReused, apiKey, stealPercent: m.stealPercent, otherCpuPercent: m.otherCpuPercent, clientCpuPercent: m.clientCpuPercent };
  } finally {
    await Promise.all(servers.map((s) => s.stop('SIGTERM').catch(() => s.stop('SIGKILL'))));
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 10);
if (!(seconds > 0)) throw new Error(`expected <seconds> > 0, got ${process.argv[2]}`);
process.stdout.write(`${JSON.stringify(await measure(seconds))}\n`);
