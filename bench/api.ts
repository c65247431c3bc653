/**
 * API benchmark (`npm run bench -- api`): requests/s and p99 latency of `GET /health` and
 * `GET /api/runs` (default page, 50 of 10,000 stored runs) against a real `nightshift serve`
 * process, autocannon for 10 s each with 10 connections: idle, then while a CPU-bound job runs.
 * Target: busy p99 ≤ 2 × idle p99, per endpoint (peer = the idle measurement of the same run).
 * Everything (seeding, server, the four measurements) runs in one fresh process, bench/api/measure.ts.
 */
import { join } from 'node:path';
import { runChild } from './lib/child.ts';
import { result, type BenchResult } from './lib/results.ts';
import type { LoadResult } from './api/load.ts';
import type { ApiMeasurement } from './api/measure.ts';
import { progress } from './api/progress.ts';

/** Each autocannon measurement. */
export const MEASURE_S = 10;
/** The busy job's loop; it must outlast both busy measurements and their quiet waits (it is cancelled after). */
export const BURN_S = 42;
/** The issue's bound on busy p99 / idle p99. */
const P99_RATIO_TARGET = 2;
/** Above this much CPU (% of a core) used by unrelated processes during a measurement, say so. */
const OTHER_CPU_WARN = 10;
/**
 * Above this, the run is refused (nothing written): with unrelated work taking a sizeable part of
 * the two cores, busy vs idle compares two different machines. Set BENCH_API_ALLOW_NOISY=1 to keep it anyway.
 */
const OTHER_CPU_REFUSE = 25;

const ENDPOINTS = [
  ['health', 'health'],
  ['runs', 'runs_list'],
] as const;

export async function run(): Promise<BenchResult[]> {
  progress(`api: one process: seed, nightshift serve, 4 × ${MEASURE_S} s of autocannon (idle, then busy with a ${BURN_S} s CPU-bound job)`);
  const m = await runChild<ApiMeasurement>(join(import.meta.dirname, 'api', 'measure.ts'), [String(MEASURE_S), String(BURN_S)], 3 * 60_000);
  if (!m.burn.stillRunningAfter) throw new Error(`the busy job was no longer running after the busy measurements (final status ${m.burn.finalStatus}); lengthen BURN_S`);

  const results: BenchResult[] = [];
  const perMeasurement = (prefix: string, r: LoadResult, idle?: LoadResult) => {
    const peer = (v: number | undefined) => (idle && v !== undefined ? { peer: 'idle', peerValue: v } : {});
    results.push(
      result({ name: `${prefix}.rps`, value: r.rps, unit: 'req/s', target: null, better: 'higher', ...peer(idle?.rps) }),
      result({ name: `${prefix}.p50`, value: r.p50, unit: 'ms', target: null, better: 'lower', ...peer(idle?.p50) }),
      result({ name: `${prefix}.p99`, value: r.p99, unit: 'ms', target: null, better: 'lower', ...peer(idle?.p99) }),
      result({ name: `${prefix}.server_cpu`, value: r.cpuPercent.server!, unit: '% of a core', target: null, better: 'lower' }),
    );
    if (r.cpuPercent.job !== undefined) results.push(result({ name: `${prefix}.job_cpu`, value: r.cpuPercent.job, unit: '% of a core', target: null, better: 'lower' }));
    results.push(
      result({ name: `${prefix}.client_cpu`, value: r.cpuPercent.client!, unit: '% of a core', target: null, better: 'lower' }),
      // Everything else the machine ran meanwhile: should be near 0, else the run was disturbed.
      result({ name: `${prefix}.other_cpu`, value: r.cpuPercent.other!, unit: '% of a core', target: null, better: 'lower' }),
    );
    if (r.cpuPercent.other! > OTHER_CPU_WARN) progress(`WARNING: other processes used ${r.cpuPercent.other!.toFixed(0)} % of a core during ${prefix}; the machine was not quiet`);
  };
  for (const [key, label] of ENDPOINTS) {
    const idle = m.idle[key];
    const busy = m.busy[key];
    perMeasurement(`api.${label}.idle`, idle);
    perMeasurement(`api.${label}.busy`, busy, idle);
    results.push(result({ name: `api.${label}.p99_busy_vs_idle`, value: busy.p99 / idle.p99, unit: '×', target: P99_RATIO_TARGET, better: 'lower' }));
  }
  const all = [m.idle.health, m.idle.runs, m.busy.health, m.busy.runs];
  const noisiest = Math.max(...all.map((r) => r.cpuPercent.other!));
  if (noisiest > OTHER_CPU_REFUSE && process.env.BENCH_API_ALLOW_NOISY !== '1') {
    throw new Error(`other processes used up to ${noisiest.toFixed(0)} % of a core during the measurements (limit ${OTHER_CPU_REFUSE} %): the machine was not quiet, results not written; re-run when it is (or set BENCH_API_ALLOW_NOISY=1)`);
  }
  results.push(
    result({ name: 'api.responses.non_2xx', value: all.reduce((a, r) => a + r.non2xx, 0), unit: 'responses', target: 0, better: 'lower' }),
    result({ name: 'api.responses.errors', value: all.reduce((a, r) => a + r.errors, 0), unit: 'errors', target: 0, better: 'lower' }),
    result({ name: 'api.busy.job_niceness', value: m.burn.niceness, unit: 'nice', target: null, better: 'higher' }),
  );
  if (m.warmup.non2xx + m.warmup.errors > 0) progress(`WARNING: warm-up saw ${m.warmup.non2xx} non-2xx responses and ${m.warmup.errors} errors`);
  if (m.serverExit.code !== 0) progress(`WARNING: nightshift serve exited with ${m.serverExit.signal ?? `code ${m.serverExit.code}`} after SIGTERM`);
  return results;
}
