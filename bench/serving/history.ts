/**
 * The "HTTP predict with history" part of bench/serving/http.ts (issue 14): the demo's `failure`
 * model as examples/demo/nightshift.yaml declares it (its feature spec: sensors, the machine model,
 * 6 h lags and 48 h rolling windows), so every request needs its machine's last 48 h of samples.
 *   - its declaration for the benchmark's config file (the demo's features, the benchmark's trees);
 *   - the request bodies: the latest sample of each machine with its entity, at the server's now
 *     (the path users take), and with a fixed time, to compare answers across servers;
 *   - the history cache's counters from /health.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { RawSample } from '../../src/data/types.ts';
import { GBDT_PARAMS } from './fleet.ts';

export const HISTORY_MODEL = 'failure_history';
const DEMO_CONFIG = join(import.meta.dirname, '..', '..', 'examples', 'demo', 'nightshift.yaml');

/** The demo's `failure` features, read from its config file (so the benchmark follows the demo). */
export function demoFeatures(): Record<string, unknown> {
  const config = parse(readFileSync(DEMO_CONFIG, 'utf8')) as { models?: Array<{ name: string; features: Record<string, unknown> }> };
  const failure = config.models?.find((m) => m.name === 'failure');
  if (!failure) throw new Error(`${DEMO_CONFIG} declares no model "failure"`);
  const f = failure.features;
  if (!Array.isArray(f.lags) || f.lags.length === 0 || !Array.isArray(f.rolling) || f.rolling.length === 0) {
    throw new Error(`the demo's failure model has no lags or rolling windows: ${JSON.stringify(f)}`);
  }
  return f;
}

/** The history model for the benchmark's config file: the demo's features, the benchmark's GBDT. */
export function historyModel(dataset: string): Record<string, unknown> {
  return {
    name: HISTORY_MODEL,
    description: "the demo's failure model: lags and rolling windows need each machine's last 48 h (serving benchmark)",
    task: 'binary',
    dataset,
    features: demoFeatures(),
    trainer: { kind: 'gbdt', params: { ...GBDT_PARAMS } },
    gate: { thresholds: { auc: 0.7 }, change: { maxDecrease: 0.02 } },
    mode: 'full',
    dataRangeDays: 90,
  };
}

/** One row per machine: its latest sample's values with its entity; `at`: a fixed time instead of the server's now. */
export function historyBodies(samples: readonly RawSample[], at?: number): string[] {
  const latest = new Map<string, RawSample>();
  for (const s of samples) latest.set(s.entity, s);
  return [...latest.values()].map((s) => JSON.stringify({ entity: s.entity, values: s.values, ...(at === undefined ? {} : { ts: new Date(at).toISOString() }) }));
}

export interface HistoryCacheReading {
  maxSamples: number;
  samples: number;
  entities: number;
  hits: number;
  misses: number;
  storeReads: number;
  invalidations: number;
}

export async function historyCacheOf(base: string): Promise<HistoryCacheReading | null> {
  const res = await fetch(`${base}/health`);
  const body = (await res.json()) as { historyCache?: HistoryCacheReading };
  return body.historyCache ?? null;
}

/** The answers of the fixed-time bodies, to compare the server with its history cache and without. */
export async function answers(url: string, bodies: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const body of bodies) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await res.json()) as { predictions?: unknown };
    if (res.status !== 200) throw new Error(`predict ${body}: ${res.status} ${JSON.stringify(json)}`);
    out.push(JSON.stringify(json.predictions));
  }
  return out;
}
