/**
 * What both serving measurements share: the synthetic fleet the models are trained on, the two
 * feature specs (plain columns; lags and rolling windows), the GBDT's hyper-parameters, and the
 * rows that are served (with each row's 48 h history for the lag/rolling spec).
 */
import { parseFeatureSpec, requiredHistorySeconds, type FeatureSpec } from '../../src/data/features/index.ts';
import { generateTenant, SYNTHETIC_SENSORS, syntheticFeatureSpec, toRawSamples, type SyntheticOptions } from '../../src/data/synthetic/index.ts';
import type { RawSample } from '../../src/data/types.ts';

/** 20 machines × 60 days, one sample an hour (the generator's and the config file's default interval): 28,800 samples. */
export const FLEET: Omit<SyntheticOptions, 'endMs'> = { tenants: 1, machines: 20, days: 60, seed: 1, intervalMs: 3_600_000 };
/** In-process runs end here (deterministic); the HTTP run ends now, so the training window holds the data. */
export const FIXED_END_MS = Date.UTC(2026, 2, 1);

/** 100 trees of at most 31 leaves, learning rate 0.1, no early stopping: exactly 100 trees. */
export const GBDT_PARAMS = { numTrees: 100, maxLeaves: 31, learningRate: 0.1, earlyStoppingRounds: 0 } as const;

export const SPECS = ['plain', 'lag_rolling'] as const;
export type SpecName = (typeof SPECS)[number];

/** Plain: the six sensors and the machine model (categorical). Lag/rolling: the fleet's own spec (syntheticFeatureSpec). */
export function specOf(name: SpecName): FeatureSpec {
  return name === 'plain' ? parseFeatureSpec({ continuous: [...SYNTHETIC_SENSORS], categorical: ['model'] }) : syntheticFeatureSpec();
}

export function fleetSamples(endMs: number): RawSample[] {
  return toRawSamples(generateTenant({ ...FLEET, endMs }, 0).records);
}

/** Rows served: the last ROWS_PER_ENTITY samples of every machine. */
export const ROWS_PER_ENTITY = 24;

export interface ServedRow {
  row: RawSample;
  /** The entity's samples in [row.ts − requiredHistorySeconds, row.ts), in time order: what serving loads from the store. */
  history: RawSample[];
}

export function servedRows(samples: readonly RawSample[], spec: FeatureSpec): ServedRow[] {
  const backMs = requiredHistorySeconds(spec) * 1000;
  const byEntity = new Map<string, RawSample[]>();
  for (const s of samples) {
    const list = byEntity.get(s.entity);
    if (list) list.push(s);
    else byEntity.set(s.entity, [s]);
  }
  const out: ServedRow[] = [];
  for (const list of byEntity.values()) {
    list.sort((a, b) => a.ts - b.ts);
    for (const s of list.slice(-ROWS_PER_ENTITY)) {
      const row: RawSample = { entity: s.entity, ts: s.ts, values: { ...s.values }, label: null };
      out.push({ row, history: backMs === 0 ? [] : list.filter((h) => h.ts >= s.ts - backMs && h.ts < s.ts) });
    }
  }
  return out;
}
