/**
 * Retrain-decision benchmark (`npm run bench -- decide`), issue 15. Each part in a fresh process:
 *   1. assess (bench/decide/assess.ts): 10,000 (tenant, model) pairs with the counts and staleness
 *      rules through assessModel — the function the train job's `decide` stage calls — on SQLite
 *      (one pair at a time: one connection) and on PostgreSQL (CONCURRENCY at a time over a pool);
 *      target ≤ 5 s each. The other way of each is reported beside it;
 *   2. drift (bench/decide/drift.ts): PSI + KS of a 1M × 20 window against its reference through
 *      driftAgainstColumns (what an assessment runs on the window it loaded in columns); target ≤ 2 s.
 *      Beside it, the assessor's whole path on a SQLite store (its newest rows read in columns, then
 *      compared). Peer: scipy's ks_2samp on the same columns (/usr/bin/python3; `apt-get install
 *      python3-scipy` when missing), KS only, ratio = ours / scipy;
 *   3. prediction logging (bench/decide/predict-log.ts): predict throughput of a real serve with
 *      logging on vs off, the serving benchmark's model and load; target: costs ≤ 10 %. Beside it the
 *      cost read from the server's CPU per request (best of each mode, and the median over pairs).
 * Wall times come with the CPU time of the measuring process: on a shared machine the wall time
 * includes waiting for the cores; the CPU time is what the work itself cost.
 */
import { join } from 'node:path';
import { progress } from './api/progress.ts';
import type { AssessMeasurement } from './decide/assess.ts';
import type { DriftMeasurement } from './decide/drift.ts';
import type { PredictLogMeasurement } from './decide/predict-log.ts';
import { runChild } from './lib/child.ts';
import { result, type BenchResult } from './lib/results.ts';

const here = join(import.meta.dirname, 'decide');
const MINUTE = 60_000;
const ASSESS_TARGET_S = 5;
const DRIFT_TARGET_S = 2;
const LOG_COST_TARGET_PERCENT = 10;
const LOG_MEASURE_S = 8;

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const dialect of ['sqlite', 'postgres'] as const) {
    progress(`decide: assess 10,000 (tenant, model) pairs on ${dialect} (fresh process)`);
    const a = await runChild<AssessMeasurement>(join(here, 'assess.ts'), [dialect], 30 * MINUTE);
    const [main, other] = dialect === 'sqlite' ? [{ s: a.sequentialSeconds, cpu: a.sequentialCpuSeconds, how: 'one at a time' }, { s: a.seconds, how: `${a.concurrency}_at_a_time` }] : [{ s: a.seconds, cpu: a.cpuSeconds, how: `${a.concurrency} at a time` }, { s: a.sequentialSeconds, how: 'one_at_a_time' }];
    progress(`decide: assess/${dialect} headline ${main.how}; decisions ${JSON.stringify(a.reasons)}`);
    results.push(
      result({ name: `assess.${dialect}.10k_pairs`, value: main.s, unit: 's', target: ASSESS_TARGET_S, better: 'lower' }),
      result({ name: `assess.${dialect}.10k_pairs.cpu`, value: main.cpu, unit: 's', target: null, better: 'lower' }),
      result({ name: `assess.${dialect}.10k_pairs.${other.how}`, value: other.s, unit: 's', target: null, better: 'lower' }),
    );
  }

  progress('decide: drift, PSI + KS over 1M × 20 against the reference, and scipy ks_2samp (fresh process)');
  const d = await runChild<DriftMeasurement>(join(here, 'drift.ts'), [], 30 * MINUTE);
  const peer = d.scipy ? { peer: `scipy ${d.scipy.version} ks_2samp`, peerValue: d.scipy.seconds } : {};
  const peerCpu = d.scipy ? { peer: `scipy ${d.scipy.version} ks_2samp (CPU)`, peerValue: d.scipy.cpuSeconds } : {};
  results.push(
    result({ name: 'drift.psi_ks.1m_x20', value: d.seconds, unit: 's', target: DRIFT_TARGET_S, better: 'lower', ...peer }),
    result({ name: 'drift.psi_ks.1m_x20.cpu', value: d.cpuSeconds, unit: 's', target: null, better: 'lower', ...peerCpu }),
    // The assessor's whole drift evidence on a SQLite store holding the 1M-row window: its newest DRIFT_MAX_ROWS read in columns, then compared.
    result({ name: 'drift.assessor_path.1m_window_x20', value: d.assessorPath.seconds, unit: 's', target: null, better: 'lower' }),
    result({ name: 'drift.assessor_path.1m_window_x20.cpu', value: d.assessorPath.cpuSeconds, unit: 's', target: null, better: 'lower' }),
    result({ name: 'drift.assessor_path.rows_compared', value: d.assessorPath.rowsCompared, unit: 'rows', target: null, better: 'higher' }),
    result({ name: 'drift.profile.50k_x20', value: d.profileSeconds, unit: 's', target: null, better: 'lower' }),
    result({ name: 'drift.psi_ks.1m_x20.drifted_columns', value: d.driftedColumns.length, unit: 'of 2 shifted', target: null, better: 'higher' }),
  );
  if (d.scipy) results.push(result({ name: 'drift.ks.max_abs_d_vs_scipy', value: d.scipy.maxAbsDiffD, unit: 'D', target: null, better: 'lower' }));
  else process.stderr.write(`\n*** drift: no scipy peer: ${d.peerError} ***\n\n`);

  progress(`decide: predict throughput with prediction logging on vs off, ${LOG_MEASURE_S} s each, alternated (fresh process)`);
  const l = await runChild<PredictLogMeasurement>(join(here, 'predict-log.ts'), [String(LOG_MEASURE_S)], 30 * MINUTE);
  results.push(
    result({ name: 'assess.prediction_log.throughput_cost', value: l.costPercent, unit: '%', target: LOG_COST_TARGET_PERCENT, better: 'lower' }),
    // The same cost from the server's CPU time per request, which the machine's other load disturbs far less than req/s.
    result({ name: 'assess.prediction_log.cpu_cost', value: l.cpuCostPercent, unit: '%', target: null, better: 'lower' }),
    result({ name: 'assess.prediction_log.cpu_cost_paired_median', value: l.pairedCpuCostPercent, unit: '%', target: null, better: 'lower' }),
    result({ name: 'assess.prediction_log.server_cpu_per_1k_on', value: l.cpuPer1kOn, unit: 's', target: null, better: 'lower' }),
    result({ name: 'assess.prediction_log.server_cpu_per_1k_off', value: l.cpuPer1kOff, unit: 's', target: null, better: 'lower' }),
    result({ name: 'assess.prediction_log.rps_on', value: l.bestOn, unit: 'req/s', target: null, better: 'higher' }),
    result({ name: 'assess.prediction_log.rps_off', value: l.bestOff, unit: 'req/s', target: null, better: 'higher' }),
    result({ name: 'assess.prediction_log.requests_logging_on', value: l.requestsOn, unit: 'requests', target: null, better: 'higher' }),
    result({ name: 'assess.prediction_log.logged_rows', value: l.loggedRows, unit: 'rows', target: null, better: 'higher' }),
  );
  if (l.costPercent < 0) progress(`decide: logging on measured ${(-l.costPercent).toFixed(1)} % faster than off: below the noise of this machine`);
  return results;
}
