/**
 * Auth benchmark (`npm run bench -- auth`), issue 17: authenticated HTTP predict (an HS256 JWT
 * verified on every request) keeps at least 90 % of the throughput the same predict has without
 * authentication, measured in the same run (bench/auth/measure.ts: one store copied for two servers,
 * authentication off and on, side by side; autocannon with 10 connections posting single rows, in
 * short windows that alternate between the loads, round after round). The JWT load sends a different
 * token on each request, so the server's memory of verified tokens never spares it a verification; one
 * token on every request (what a client holding a token sends) and an API key (one indexed store
 * read per request) are measured beside it, for context.
 *
 * The target's figure is the median over rounds of the JWT window's req/s over the unauthenticated
 * window's of the same round: neighbours in time, so the machine's drift over the run (a third, on a
 * shared host) and a window hit by another tenant's burst (steal) do not decide it.
 */
import { join } from 'node:path';
import { progress } from './api/progress.ts';
import type { AuthMeasurement } from './auth/measure.ts';
import { runChild } from './lib/child.ts';
import { result, type BenchResult } from './lib/results.ts';
import type { PostLoadResult } from './serving/load.ts';

/** Seconds per window; bench/auth/measure.ts takes ROUNDS of them per load. */
export const MEASURE_S = 3;
/** The bound: authenticated throughput ≥ 90 % of unauthenticated. */
const RATIO_TARGET = 0.9;

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** Round by round, a load's req/s over the unauthenticated window's of the same round. */
const roundRatios = (rs: readonly PostLoadResult[], offs: readonly PostLoadResult[]) => rs.map((r, i) => r.rps / offs[i]!.rps);

export async function run(): Promise<BenchResult[]> {
  progress(`auth: one process: a champion, then predict under load, alternating between a server with authentication off and one with it on (${MEASURE_S} s windows)`);
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
    result({ name: 'auth.predict.jwt_hs256.throughput_vs_unauthenticated', value: median(roundRatios(m.jwt, m.unauthenticated)), unit: '×', target: RATIO_TARGET, better: 'higher' }),
    result({ name: 'auth.predict.jwt_hs256.throughput_vs_unauthenticated.worst_round', value: Math.min(...roundRatios(m.jwt, m.unauthenticated)), unit: '×', target: null, better: 'higher' }),
    result({ name: 'auth.predict.jwt_hs256_one_token.rps', value: rps(m.jwtReused), unit: 'req/s', target: null, better: 'higher', peer: 'unauthenticated', peerValue: off }),
    result({ name: 'auth.predict.jwt_hs256_one_token.throughput_vs_unauthenticated', value: median(roundRatios(m.jwtReused, m.unauthenticated)), unit: '×', target: null, better: 'higher' }),
    result({ name: 'auth.predict.api_key.rps', value: rps(m.apiKey), unit: 'req/s', target: null, better: 'higher', peer: 'unauthenticated', peerValue: off }),
    result({ name: 'auth.predict.api_key.throughput_vs_unauthenticated', value: median(roundRatios(m.apiKey, m.unauthenticated)), unit: '×', target: null, better: 'higher' }),
    result({ name: 'auth.predict.unauthenticated.server_cpu_per_request', value: cpuMs(m.unauthenticated), unit: 'ms', target: null, better: 'lower' }),
    result({ name: 'auth.predict.jwt_hs256.server_cpu_per_request', value: cpuMs(m.jwt), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: cpuMs(m.unauthenticated) }),
    result({ name: 'auth.predict.jwt_hs256_one_token.server_cpu_per_request', value: cpuMs(m.jwtReused), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: cpuMs(m.unauthenticated) }),
    result({ name: 'auth.predict.api_key.server_cpu_per_request', value: cpuMs(m.apiKey), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: cpuMs(m.unauthenticated) }),
    result({ name: 'auth.predict.unauthenticated.p99', value: p99(m.unauthenticated), unit: 'ms', target: null, better: 'lower' }),
    result({ name: 'auth.predict.jwt_hs256.p99', value: p99(m.jwt), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: p99(m.unauthenticated) }),
    result({ name: 'auth.predict.api_key.p99', value: p99(m.apiKey), unit: 'ms', target: null, better: 'lower', peer: 'unauthenticated', peerValue: p99(m.unauthenticated) }),
    result({ name: 'auth.responses.non_2xx', value: all.reduce((a, r) => a + r.non2xx, 0), unit: 'responses', target: 0, better: 'lower' }),
    result({ name: 'auth.other_processes_cpu.max', value: Math.max(...all.map((r) => r.cpuPercent.other!)), unit: '% of a core', target: null, better: 'lower' }),
    result({ name: 'auth.steal.max', value: Math.max(...all.map((r) => r.stealPercent)), unit: '% of a core', target: null, better: 'lower' }),
    result({ name: 'auth.load_generator_cpu.max', value: Math.max(...all.map((r) => r.cpuPercent.client!)), unit: '% of a core', target: null, better: 'lower' }),
  ];
}
