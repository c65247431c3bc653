/**
 * The monitor benchmark's outbox part (`npm run bench -- monitor`, entries `outbox.…` in
 * bench/results/monitor.json): a real `nightshift serve` delivers N signed webhooks to a loopback
 * receiver in another process, while autocannon loads one of its API routes (a store read).
 * Targets (issue 16): delivery ≥ 1,000 notifications/s, and the API's p99 during delivery ≤ 1.5 ×
 * its idle p99 (peer: the idle measurement of the same run). Everything runs in one fresh process,
 * outbox-measure.ts.
 */
import { join } from 'node:path';
import { runChild } from '../lib/child.ts';
import { result, type BenchResult } from '../lib/results.ts';
import { progress } from '../api/progress.ts';
import type { OutboxMeasurement } from './outbox-measure.ts';

const NOTIFICATIONS = 20_000;
const MEASURE_S = 5;

export async function outboxResults(): Promise<BenchResult[]> {
  progress(`outbox: ${NOTIFICATIONS} webhooks through a real nightshift serve, API p99 idle and during delivery (${MEASURE_S} s each)`);
  const m = await runChild<OutboxMeasurement>(join(import.meta.dirname, 'outbox-measure.ts'), [String(NOTIFICATIONS), String(MEASURE_S)], 10 * 60_000);
  if (m.duplicates > 0 || m.badSignatures > 0) throw new Error(`receiver saw ${m.duplicates} duplicates and ${m.badSignatures} bad signatures`);
  // A p99 of refused requests (an API that wants a key) measures nothing: the run fails instead.
  if (m.idle.non2xx > 0 || m.busy.non2xx > 0) throw new Error(`the API answered ${m.idle.non2xx + m.busy.non2xx} requests with an error status; the p99 would not be a store read's`);
  if (!m.deliveringThroughout) progress('WARNING: delivery ended before the busy API measurement did; raise NOTIFICATIONS');
  return [
    result({ name: 'outbox.webhook.delivery_rate', value: m.deliveryRate, unit: 'notifications/s', target: 1_000, better: 'higher' }),
    // Deliveries per CPU-second of the service: what one otherwise idle core would sustain (the
    // service also answered the API load meanwhile, so this understates it).
    result({ name: 'outbox.webhook.per_cpu_second', value: m.notifications / m.serverCpuSeconds, unit: 'notifications/CPU-s', target: null, better: 'higher' }),
    result({ name: 'outbox.webhook.delivery_seconds', value: m.deliverySeconds, unit: 's', target: null, better: 'lower' }),
    result({ name: 'outbox.webhook.end_to_end_seconds', value: m.endToEndSeconds, unit: 's', target: null, better: 'lower' }),
    result({ name: 'outbox.api.idle.p99', value: m.idle.p99, unit: 'ms', target: null, better: 'lower' }),
    result({ name: 'outbox.api.busy.p99', value: m.busy.p99, unit: 'ms', target: null, better: 'lower', peer: 'idle', peerValue: m.idle.p99 }),
    result({ name: 'outbox.api.busy.p99_ratio', value: m.busy.p99 / m.idle.p99, unit: '× idle', target: 1.5, better: 'lower' }),
    result({ name: 'outbox.api.idle.rps', value: m.idle.rps, unit: 'req/s', target: null, better: 'higher' }),
    result({ name: 'outbox.api.busy.rps', value: m.busy.rps, unit: 'req/s', target: null, better: 'higher', peer: 'idle', peerValue: m.idle.rps }),
    result({ name: 'outbox.cpu.server_busy', value: m.busy.cpuPercent.server!, unit: '% of a core', target: null, better: 'lower' }),
    result({ name: 'outbox.cpu.other_busy', value: m.busy.cpuPercent.other!, unit: '% of a core', target: null, better: 'lower' }),
  ];
}
