/**
 * The champion measured live: its logged predictions whose samples later arrived with a label,
 * scored with the model's primary metric, overall and per day (UTC) over the last `days`; and the
 * latest rejected candidate's shadow score on the same labelled rows (what it would have scored had
 * it been serving them).
 */
import type { FeatureSpec } from '../data/features/index.ts';
import type { DatasetSchema, RawSample } from '../data/types.ts';
import type { ModelRegistry } from '../registry/index.ts';
import { loadPredictor, predictRows, type Prediction } from '../serving/index.ts';
import type { Executor } from '../store/db.ts';
import { labelledLoggedSamples, labelledPredictions, type LabelledPrediction } from '../store/prediction-log.ts';
import { evaluate } from '../trainers/evaluate.ts';
import type { GateMetric } from '../training/gate.ts';
import type { ModelDefinition } from '../training/model-definition.ts';

const DAY_MS = 86_400_000;
const MAX_ROWS = 100_000;

export interface LivePoint {
  value: number | null;
  rows: number;
}

export interface LiveMetrics {
  metric: GateMetric;
  since: number;
  champion: (LivePoint & { version: number; daily: Array<LivePoint & { day: string }> }) | null;
  shadow: (LivePoint & { version: number }) | null;
}

export interface LiveDeps {
  x: Executor;
  registry: ModelRegistry;
  tenantId: string;
  definition: ModelDefinition;
  schema: DatasetSchema;
  now: number;
  /** Earlier samples of these rows' entities, for the spec's lag and rolling features. */
  history: (rows: readonly RawSample[], spec: FeatureSpec) => Promise<RawSample[] | undefined>;
}

export async function liveMetrics(d: LiveDeps, days: number): Promise<LiveMetrics> {
  const { definition: def, tenantId } = d;
  const metric = def.primaryMetric;
  const since = d.now - days * DAY_MS;
  const champion = await d.registry.champion(tenantId, def.name);
  if (!champion) return { metric, since, champion: null, shadow: null };
  const rows = await labelledPredictions(d.x, { tenantId, modelName: def.name, datasetId: def.dataset, version: champion.version, since, limit: MAX_ROWS });
  const byDay = new Map<string, LabelledPrediction[]>();
  for (const r of rows) {
    const day = new Date(r.ts).toISOString().slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), r]);
  }
  const daily = [...byDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([day, rs]) => ({ day, ...score(def, metric, rs) }));
  return { metric, since, champion: { version: champion.version, ...score(def, metric, rows), daily }, shadow: await shadowScore(d, champion.version, since) };
}

function score(def: ModelDefinition, metric: GateMetric, rows: readonly LabelledPrediction[]): LivePoint {
  if (rows.length === 0) return { value: null, rows: 0 };
  const y = Float64Array.from(rows, (r) => r.label);
  const p = Float64Array.from(rows, (r) => (def.task === 'binary' ? (r.score ?? r.prediction) : r.prediction));
  return { value: metricOf(def, metric, y, p), rows: rows.length };
}

function metricOf(def: ModelDefinition, metric: GateMetric, y: Float64Array, p: Float64Array): number | null {
  const v = (evaluate(def.task, y, p) as unknown as Record<string, number>)[metric];
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** The latest version after the champion that the gate rejected, scored on the champion's labelled rows. */
async function shadowScore(d: LiveDeps, championVersion: number, since: number): Promise<LiveMetrics['shadow']> {
  const { definition: def, tenantId } = d;
  const newer = (await d.registry.listVersions(tenantId, def.name, { limit: 20 })).items.filter((v) => v.version > championVersion && !v.gate.passed);
  const candidate = newer[0];
  if (!candidate) return null;
  const samples = await labelledLoggedSamples(d.x, d.schema, { tenantId, modelName: def.name, version: championVersion, since, limit: MAX_ROWS });
  if (samples.length === 0) return { version: candidate.version, value: null, rows: 0 };
  const predictor = await loadPredictor((await d.registry.loadArtifact(tenantId, def.name, candidate.version)).bytes);
  try {
    const predictions: Prediction[] = await predictRows(predictor, samples, await d.history(samples, predictor.featureSpec));
    const y = Float64Array.from(samples, (s) => s.label as number);
    const p = Float64Array.from(predictions, (q) => (def.task === 'binary' ? (q.probability ?? q.prediction) : q.prediction));
    return { version: candidate.version, value: metricOf(def, def.primaryMetric, y, p), rows: samples.length };
  } finally {
    await predictor.close();
  }
}
