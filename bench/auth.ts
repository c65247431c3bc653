/**
 * Auth benchmark (`npm run bench -- auth`), issue 17: authenticated HTTP predict (an HS256 JWT
 * verified on every request) keeps at least 90 % of the throughput the same predict has without
 * authentication, measured in the same run (bench/auth/measure.ts: one store, servers with
 * authentication off and on in turn, off/on/on/off, autocannon with 10 connections posting single
 * rows). The JWT measurement sends a different token on each request, so the server's memory of
 * verified tokens never spares it a verification; one token on every request (what a client holding a
 * token sends) and an API key (one indexed store read per request) are measured beside it, for context.
 */
import { join } from 'node:path';
import { progress } from './api/progress.ts';
import type { AuthMeasurement } from './auth/measure.ts';
import { runChild } from './lib/child.ts';
import { result, type BenchResult } from './lib/results.ts';
import type { PostLoadResult } from './serving/load.ts';

export const MEASURE_S = 10;
/** The bound: authenticated throughput ≥ 90 % of unauthenticated. */
const RATIO_TARGET = 0.9;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function run(): Promise<BenchResult[]> {
  progress(`auth: one process: a champion, then predict under load with authentication off, on, on, off (${MEASURE_S} s each)`);
  const m = await runChild<AuthMeasurement>(join(import.meta.dirname, 'auth', 'measure.ts'), [String(MEASURE_S)], 10 * 60_000);
  const rps = (rs: readonly PostLoadResult[]) => mean(rs.map((r) => r.rps));
  const p99 = (rs: readonly PostLoadResult[]) => mean(rs.map((r) => r.p99));
  const off = rps(m.unauthenticated);
  // Server CPU per request (ms): what a request costs the server whatever share of the cores it got,
  // so it still compares the two modes when other processes load the machine.
  const cpuMs = (rs: readonly PostLoadResult[]) => mean(rs.map((r) => (r.cpuPercent.server! / 100 / r.rps) * 1000));
  const all = [...m.unauthenticated, ...m.jwt, ...m.jwtReused, ...m.apiKey];
  return [
    result({ name: 'auth.predict.unauthenticated.rps', value: off, unit: 'req/s', target: null, better: 'higher' }),
    result({ name: 'auth.predict.jwt_hs256.rps', value: rps(m.jwt), unit: 'req/s', target: null, better: 'higher', peer: 'unauthenticated', peerValue: off }),
    result({ name: 'auth.predict.jwt_hs256.throughput_vs_unauthenticated', value: rps(m.jwt) / off, unit: '×', target: RATIO_TARGET, better: 'higher' }),
    result({ name: 'auth.predict.jwt_hs256_one_token.rps', value: rps(m.jwtReused), unit: 'req/s', target: null, better: 'higher', peer: 'unauthenticated', peerValue: off }),
    result({ name: 'auth.predict.jwt_hs256_one_token.throughput_vs_unauthenticated', value: rps(m.jwtReused) / off, unit: '×', target: null, better: 'higher' }),
    result({ name: 'auth.predict.api_key.rps', value: rps(m.apiKey), unit: 'req/s', target: null, better: 'higher', peer: 'unauthenticated', peerValue: off }),
    result({ name: 'auth.predict.api_key.throughput_vs_unauthenticated', value: rps(m.apiKey) / off, unit: '×', target: null, better: 'higher' }),
    result({ name: 'auth.predict.unauthenticated.server_cpu_per_request', value: cpuMs(m.unauthenticated), unit: 'ms', target: null, better: 'lower' }),
    result({ name: 'auth.predict.jwt_hs256.server_cpu_per_request', value: cpuMs(m.jwt), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: cpuMs(m.unauthenticated) }),
    result({ name: 'auth.predict.jwt_hs256_one_token.server_cpu_per_request', value: cpuMs(m.jwtReused), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: cpuMs(m.unauthenticated) }),
    result({ name: 'auth.predict.api_key.server_cpu_per_request', value: cpuMs(m.apiKey), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: cpuMs(m.unauthenticated) }),
    result({ name: 'auth.predict.unauthenticated.p99', value: p99(m.unauthenticated), unit: 'ms', target: null, better: 'lower' }),
    result({ name: 'auth.predict.jwt_hs256.p99', value: p99(m.jwt), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: p99(m.unauthenticated) }),
    result({ name: 'auth.predict.api_key.p99', value: p99(m.apiKey), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: p99(m.unauthenticated) }),
    result({ name: 'auth.responses.non_2xx', value: all.reduce((a, r) => a + r.non2xx, 0), unit: 'responses', target: 0, better: 'lower' }),
    result({ name: 'auth.other_processes_cpu.max', value: Math.max(...all.map((r) => r.cpuPercent.other!)), unit: '% of a core', target: null, better: 'lower' }),
  ];
}
