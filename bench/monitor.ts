/**
 * Monitor benchmark (`npm run bench -- monitor`, bench/results/monitor.json): one alert pass over
 * 10,000 declared models (100 tenants × 100 models, each with a champion, trainings, a live point and a drift assessment;
 * bench/monitor/pass.ts), in a fresh process per store. The target (≤ 2 s, issue 16) is on a pass
 * as the service makes it every TRAINING_MONITOR_INTERVAL: the median of 5 passes after the first.
 * The first pass (every declaration read and parsed, 4,010 alerts opened in one transaction) is
 * reported for context. Then the notification outbox (monitor/outbox.ts, entries `outbox.…`): its
 * delivery rate to a loopback webhook receiver, and the API's p99 while it delivers.
 */
import { join } from 'node:path';
import { runChild } from './lib/child.ts';
import { result, type BenchResult } from './lib/results.ts';
import { outboxResults } from './monitor/outbox.ts';

interface PassOut {
  dialect: string;
  models: number;
  opened: number;
  firstS: number;
  steadyS: number;
  steadyMaxS: number;
}

const here = join(import.meta.dirname, 'monitor');

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const r = await runChild<PassOut>(join(here, 'pass.ts'), [dialect], 900_000);
    out.push(
      result({ name: `monitor.pass_10k_models.${dialect}`, value: r.steadyS, unit: 's', target: 2, better: 'lower' }),
      result({ name: `monitor.pass_10k_models.${dialect}.slowest_of_5`, value: r.steadyMaxS, unit: 's', target: null, better: 'lower' }),
      result({ name: `monitor.first_pass_10k_models.${dialect}`, value: r.firstS, unit: 's', target: null, better: 'lower' }),
      result({ name: `monitor.first_pass_alerts_opened.${dialect}`, value: r.opened, unit: 'alerts', target: null, better: 'higher' }),
    );
  }
  out.push(...(await outboxResults()));
  return out;
}
