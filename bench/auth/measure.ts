/**
 * The auth benchmark's measurements, in one fresh process (bench/auth.ts): one store with a GBDT
 * champion (the serving benchmark's model, trained over the API), then single-row predict under
 * autocannon against `nightshift serve` with authentication off (no credentials) and on (an HS256
 * JWT verified on every request: each request carries a token the server has not seen lately, so its
 * verified-token memory never answers; the same token on every request, as a client holding one
 * token sends it, for context; an API key, one store read per request, for context), each server
 * started in turn on the same store, in the order off, on, on, off so drift over the run cancels.
 */
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
import { call, CONNECTIONS, csvOf, DATASET, MODEL_PATH, TENANT, trainAndWait, writeConfig } from '../serving/http.ts';
import { measurePost, type PostLoadResult } from '../serving/load.ts';

const WARMUP_S = 3;
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface AuthMeasurement {
  /** Each measurement in the order taken. */
  unauthenticated: PostLoadResult[];
  jwt: PostLoadResult[];
  jwtReused: PostLoadResult[];
  apiKey: PostLoadResult[];
  warmup: { non2xx: number; errors: number };
}

function server(dir: string, port: number, auth: 'on' | 'off'): ServeProcess {
  return new ServeProcess({
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
  });
}

async function started(dir: string, port: number, auth: 'on' | 'off'): Promise<ServeProcess> {
  const s = server(dir, port, auth);
  await s.waitForLog((l) => l.msg === 'HTTP API listening', 60_000);
  return s;
}

async function measure(seconds: number): Promise<AuthMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-auth-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const url = `${base}${MODEL_PATH}/predict`;
  let serve: ServeProcess | null = null;
  const out: AuthMeasurement = { unauthenticated: [], jwt: [], jwtReused: [], apiKey: [], warmup: { non2xx: 0, errors: 0 } };
  try {
    writeConfig(dir);
    // Setup (not measured): the data and a champion, over the API with authentication off.
    serve = await started(dir, port, 'off');
    await serve.waitForLog((l) => l.msg === 'declared datasets ready', 60_000);
    const samples = fleetSamples(Date.now());
    const ingest = await call<{ accepted: number }>(base, 'POST', `/api/tenants/${TENANT}/datasets/${DATASET}/samples`, csvOf(samples), 'text/csv');
    if (ingest.status !== 200) throw new Error(`ingest: ${ingest.status} ${JSON.stringify(ingest.body).slice(0, 300)}`);
    const trained = await trainAndWait(base, 'auth benchmark');
    progress(`auth: champion trained (${trained.seconds.toFixed(1)} s)`);
    const created = await call<{ token: string }>(base, 'POST', '/api/keys', { tenant: TENANT, role: 'operator', name: 'auth benchmark' });
    if (created.status !== 201) throw new Error(`POST /api/keys: ${created.status} ${JSON.stringify(created.body)}`);
    await serve.stop('SIGTERM');
    serve = null;

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

    const one = async (mode: 'on' | 'off') => {
      serve = await started(dir, port, mode);
      const pid = serve.proc.pid!;
      const loads: Array<[PostLoadResult[], string, Record<string, string>, readonly Record<string, string>[] | undefined]> =
        mode === 'off'
          ? [[out.unauthenticated, 'unauthenticated', {}, undefined]]
          : [
              [out.jwt, 'JWT HS256, a new token each request', {}, rotating],
              [out.jwtReused, 'JWT HS256, one token', { authorization: `Bearer ${jwt}` }, undefined],
              [out.apiKey, 'API key', { authorization: `Bearer ${created.body.token}` }, undefined],
            ];
      for (const [into, label, headers, rotatingHeaders] of loads) {
        const load = { url, bodies, connections: CONNECTIONS, pids: { server: pid }, headers, ...(rotatingHeaders ? { rotatingHeaders } : {}) };
        const warm = await measurePost({ ...load, seconds: WARMUP_S });
        out.warmup.non2xx += warm.non2xx;
        out.warmup.errors += warm.errors;
        await waitForQuiet([pid], 10, 30);
        const r = await measurePost({ ...load, seconds });
        progress(`auth: ${label}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx}, server cpu ${r.cpuPercent.server!.toFixed(0)} %, other ${r.cpuPercent.other!.toFixed(0)} %`);
        into.push(r);
      }
      await serve.stop('SIGTERM');
      serve = null;
    };
    for (const mode of ['off', 'on', 'on', 'off'] as const) await one(mode);
    return out;
  } finally {
    if (serve) await (serve as ServeProcess).stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 10);
if (!(seconds > 0)) throw new Error(`expected <seconds> > 0, got ${process.argv[2]}`);
process.stdout.write(`${JSON.stringify(await measure(seconds))}\n`);
