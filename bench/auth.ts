/**
 * Auth benchmark (`npm run bench -- auth`), issue 17: authenticated HTTP predict (an HS256 JWT
 * verified on every request) keeps at least 90 % of the throughput the same predict has without
 * authentication, measured in the same run (bench/auth/measure.ts: one server process answering on
 * two ports, authentication on and off; closed-loop loads of 10 connections posting single rows, taking
 * turns in quarter-second phases). The JWT load sends a different token on each request, so the
 * server's memory of verified tokens never spares it a verification; one token on every request
 * (what a client holding a token sends) and an API key (one indexed store read per request) are
 * measured beside it, for context.
 */
import { join } from 'node:path';
import { progress } from './api/progress.ts';
import type { AuthMeasurement } from './auth/measure.ts';
import { runChild } from './lib/child.ts';
import { result, type BenchResult } from './lib/results.ts';
import type { PhasedResult } from './auth/phased-load.ts';

/** Seconds of measurement, the four loads' phases together, over the server processes measured in turn. */
export const MEASURE_S = 120;
/** The bound: authenticated throughput ≥ 90 % of unauthenticated. */
const RATIO_TARGET = 0.9;

export async function run(): Promise<BenchResult[]> {
  progress(`auth: one process: a champion, then predict under four loads taking turns, authentication off and on (${MEASURE_S} s)`);
  const m = await runChild<AuthMeasurement>(join(import.meta.dirname, 'auth', 'measure.ts'), [String(MEASURE_S)], 10 * 60_000);
  const off = m.unauthenticated;
  const all = [m.unauthenticated, m.jwt, m.jwtReused, m.apiKey];
  const rps = (name: string, r: PhasedResult, peer = true) =>
    result({ name: `auth.predict.${name}.rps`, value: r.rps, unit: 'req/s', target: null, better: 'higher', ...(peer ? { peer: 'unauthenticated', peerValue: off.rps } : {}) });
  const cpu = (name: string, r: PhasedResult, peer = true) =>
    result({ name: `auth.predict.${name}.server_cpu_per_request`, value: r.serverCpuMsPerRequest, unit: 'ms', target: null, better: 'lower', ...(peer ? { peer: 'unauthenticated', peerValue: off.serverCpuMsPerRequest } : {}) });
  const p99 = (name: string, r: PhasedResult, peer = true) =>
    result({ name: `auth.predict.${name}.p99`, value: r.p99, unit: 'ms', target: null, better: 'lower', ...(peer ? { peer: 'unauthenticated', peerValue: off.p99 } : {}) });
  return [
    rps('unauthenticated', off, false),
    rps('jwt_hs256', m.jwt),
    result({ name: 'auth.predict.jwt_hs256.throughput_vs_unauthenticated', value: m.jwt.rps / off.rps, unit: '×', target: RATIO_TARGET, better: 'higher' }),
    rps('jwt_hs256_one_token', m.jwtReused),
    result({ name: 'auth.predict.jwt_hs256_one_token.throughput_vs_unauthenticated', value: m.jwtReused.rps / off.rps, unit: '×', target: null, better: 'higher' }),
    rps('api_key', m.apiKey),
    result({ name: 'auth.predict.api_key.throughput_vs_unauthenticated', value: m.apiKey.rps / off.rps, unit: '×', target: null, better: 'higher' }),
    cpu('unauthenticated', off, false),
    cpu('jwt_hs256', m.jwt),
    cpu('jwt_hs256_one_token', m.jwtReused),
    cpu('api_key', m.apiKey),
    p99('unauthenticated', off, false),
    p99('jwt_hs256', m.jwt),
    p99('api_key', m.apiKey),
    result({ name: 'auth.responses.non_2xx', value: all.reduce((a, r) => a + r.non2xx + r.errors, 0), unit: 'responses', target: 0, better: 'lower' }),
    result({ name: 'auth.load_generator_cpu', value: m.clientCpuPercent, unit: '% of a core', target: null, better: 'lower' }),
    result({ name: 'auth.other_processes_cpu', value: m.otherCpuPercent, unit: '% of a core', target: null, better: 'lower' }),
    result({ name: 'auth.steal', value: m.stealPercent, unit: '% of a core', target: null, better: 'lower' }),
  ];
}
