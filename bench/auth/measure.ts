/**
 * The auth benchmark's measurements, in one fresh process (bench/auth.ts): one store with a GBDT
 * champion (the serving benchmark's model, trained over the API), then single-row predict under
 * autocannon against `nightshift serve` with authentication off (no credentials) and on (an HS256
 * JWT verified on every request: each request carries a token the server has not seen lately, so its
 * verified-token memory never answers; the same token on every request, as a client holding one
 * token sends it, for context; an API key, one store read per request, for context).
 *
 * The two servers run side by side, each on its own copy of the store, and the loads alternate in
 * short windows, round after round (every other round in reverse order), so that each JWT window has
 * an unauthenticated one next to it. This machine's speed drifts by up to a third within a minute (a
 * shared host: the same load measured 4,700 and 6,100 req/s a minute apart), and a ratio of two long
 * measurements taken a minute apart measured that drift more than authentication.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { RawSample } from '../../src/data/types.ts';
import { freePort } from '../../test/helpers/api.ts';
import { ServeProcess } from '../../test/helpers/serve-process.ts';
import { waitForQuiet } from '../api/load.ts';
import { progress } from '../api/progress.ts';
import { fleetSamples } from '../serving/fleet.ts';
import { call, CONNECTIONS, csvOf, DATASET, MODEL_PATH, TENANT, trainAndWait, writeConfig } from '../serving/http.ts';
import { measurePost, type PostLoadResult } from '../serving/load.ts';

const WARMUP_S = 3;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface AuthMeasurement {
  /** Each load's windows in the order taken: index r is round r's (bench/auth.ts pairs them by round). */
  unauthenticated: PostLoadResult[];
  jwt: PostLoadResult[];
  jwtReused: PostLoadResult[];
  apiKey: PostLoadResult[];
  warmup: { non2xx: number; errors: number };
}

/** Rounds of windows: each measures every load once, in turn. */
const ROUNDS = 6;

function server(dir: string, dataDir: string, port: number, auth: 'on' | 'off'): ServeProcess {
  return new ServeProcess({
    NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'),
    NIGHTSHIFT_DATA_DIR: join(dir, dataDir),
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
  });
}

async function started(dir: string, dataDir: string, port: number, auth: 'on' | 'off'): Promise<ServeProcess> {
  const s = server(dir, dataDir, port, auth);
  await s.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
  return s;
}

interface Load {
  into: PostLoadResult[];
  label: string;
  serve: ServeProcess;
  url: string;
  headers: Record<string, string>;
  rotatingHeaders?: readonly Record<string, string>[];
}

async function measure(seconds: number): Promise<AuthMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-auth-'));
  const servers: ServeProcess[] = [];
  const out: AuthMeasurement = { unauthenticated: [], jwt: [], jwtReused: [], apiKey: [], warmup: { non2xx: 0, errors: 0 } };
  try {
    writeConfig(dir);
    // Setup (not measured): the data and a champion, over the API with authentication off.
    const setupPort = await freePort();
    const base = `http://127.0.0.1:${setupPort}`;
    const setup = await started(dir, 'data', setupPort, 'off');
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
    // The same store twice (model, key and master key alike): one copy per server.
    cpSync(join(dir, 'data'), join(dir, 'data-on'), { recursive: true });

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

    const [offPort, onPort] = [await freePort(), await freePort()];
    const off = await started(dir, 'data', offPort, 'off');
    servers.push(off);
    const on = await started(dir, 'data-on', onPort, 'on');
    servers.push(on);
    const urlOf = (port: number) => `http://127.0.0.1:${port}${MODEL_PATH}/predict`;
    const loads: Load[] = [
      { into: out.unauthenticated, label: 'unauthenticated', serve: off, url: urlOf(offPort), headers: {} },
      { into: out.jwt, label: 'JWT HS256, a new token each request', serve: on, url: urlOf(onPort), headers: {}, rotatingHeaders: rotating },
      { into: out.jwtReused, label: 'JWT HS256, one token', serve: on, url: urlOf(onPort), headers: { authorization: `Bearer ${jwt}` } },
      { into: out.apiKey, label: 'API key', serve: on, url: urlOf(onPort), headers: { authorization: `Bearer ${created.body.token}` } },
    ];
    const optionsOf = (l: Load, s: number) => ({
      url: l.url,
      bodies,
      connections: CONNECTIONS,
      pids: { server: l.serve.proc.pid! },
      headers: l.headers,
      seconds: s,
      ...(l.rotatingHeaders ? { rotatingHeaders: l.rotatingHeaders } : {}),
    });
    for (const l of loads) {
      const warm = await measurePost(optionsOf(l, WARMUP_S));
      out.warmup.non2xx += warm.non2xx;
      out.warmup.errors += warm.errors;
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const l of round % 2 === 0 ? loads : [...loads].reverse()) {
        await waitForQuiet([off.proc.pid!, on.proc.pid!], 10, 30);
        const r = await measurePost(optionsOf(l, seconds));
        progress(`auth: round ${round + 1}/${ROUNDS}: ${l.label}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, server cpu ${r.cpuPercent.server!.toFixed(0)} %, client ${r.cpuPercent.client!.toFixed(0)} %, other ${r.cpuPercent.other!.toFixed(0)} %, steal ${r.stealPercent.toFixed(1)} %`);
        l.into.push(r);
      }
    }
    return out;
  } finally {
    await Promise.all(servers.map((s) => s.stop('SIGTERM').catch(() => s.stop('SIGKILL'))));
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 10);
if (!(seconds > 0)) throw new Error(`expected <seconds> > 0, got ${process.argv[2]}`);
process.stdout.write(`${JSON.stringify(await measure(seconds))}\n`);
