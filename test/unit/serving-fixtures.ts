/** Tiny real models for the serving tests: trained on the synthetic fleet through its feature spec (lags, rolling, a categorical). */
import { Buffer } from 'node:buffer';
import { buildTrainingSet, type BuiltTrainingSet } from '../../src/data/features/index.ts';
import { generateTenant, syntheticFeatureSpec, syntheticSchema, toRawSamples, type SyntheticTarget } from '../../src/data/synthetic/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { trainGbdt, type GbdtModel } from '../../src/trainers/gbdt/index.ts';
import { trainLinear, type LinearModel } from '../../src/trainers/linear/index.ts';
import type { Task } from '../../src/trainers/types.ts';

export const END = Date.UTC(2026, 2, 1);

export interface Fleet {
  samples: RawSample[];
  set: BuiltTrainingSet;
}

const fleets = new Map<SyntheticTarget, Fleet>();

/** 4 machines × 20 days, hourly: ~1,900 samples; every sample is labeled, so training row i is samples[i]. */
export function fleet(task: Task): Fleet {
  const target: SyntheticTarget = task === 'binary' ? 'fails_within_24h' : 'rul_hours';
  let f = fleets.get(target);
  if (!f) {
    const tenant = generateTenant({ tenants: 1, machines: 4, days: 20, seed: 3, intervalMs: 3_600_000, endMs: END }, 0);
    const samples = toRawSamples(tenant.records, target);
    const set = buildTrainingSet(samples, syntheticFeatureSpec(), syntheticSchema('tenant_1', target));
    if (set.X.rows !== samples.length) throw new Error('fixture: every synthetic sample should be a training row');
    f = { samples, set };
    fleets.set(target, f);
  }
  return f;
}

export async function trainedGbdt(task: Task, numTrees = 20, seed = 1): Promise<GbdtModel> {
  const { set } = fleet(task);
  const objective = task === 'binary' ? 'binary_logloss' : 'squared_error';
  const { model } = await trainGbdt(set, { objective, numTrees, maxLeaves: 8, minSamplesLeaf: 5, earlyStoppingRounds: 0 }, { seed }, { featureSpec: set.spec });
  return model;
}

export async function trainedLinear(task: Task): Promise<LinearModel> {
  const { set } = fleet(task);
  return trainLinear(set, { task, epochs: 3 }, { seed: 1 }, { featureSpec: set.spec });
}

export const artifactBytesOf = (model: { toArtifact(): unknown }): Buffer => Buffer.from(JSON.stringify(model.toArtifact()));

/** The last `perEntity` samples of every entity as rows; every other sample as history. */
export function rowsAndHistory(samples: readonly RawSample[], perEntity: number): { rows: RawSample[]; history: RawSample[]; index: number[] } {
  const byEntity = new Map<string, number[]>();
  samples.forEach((s, i) => byEntity.set(s.entity, [...(byEntity.get(s.entity) ?? []), i]));
  const chosen = new Set([...byEntity.values()].flatMap((list) => list.slice(-perEntity)));
  const index = [...chosen].sort((a, b) => a - b);
  return { rows: index.map((i) => samples[i]!), history: samples.filter((_, i) => !chosen.has(i)), index };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
