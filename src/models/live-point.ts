/**
 * One point of the champion's live metric: its logged predictions whose labels arrived, within the
 * last `windowMs` and after its training window, scored with the primary metric (and accuracy for a
 * binary model, which LOW_ACCURACY reads), with the trend of this version's latest points.
 */
import type { ModelVersion } from '../registry/index.ts';
import type { Executor } from '../store/db.ts';
import type { LivePointRow } from '../store/live-points.ts';
import { recentLivePoints } from '../store/live-points.ts';
import { labelledPredictions } from '../store/prediction-log.ts';
import { evaluate } from '../trainers/evaluate.ts';
import { higherIsBetter } from '../training/gate.ts';
import type { ModelDefinition } from '../training/model-definition.ts';
import { trendOf, type TrendOptions } from '../monitor/trend.ts';

const MAX_ROWS = 100_000;

export async function livePoint(
  x: Executor,
  q: { tenantId: string; definition: ModelDefinition; champion: ModelVersion; now: number; windowMs: number; minRows: number; trend: TrendOptions },
): Promise<LivePointRow | null> {
  const { tenantId, definition: def, champion, now } = q;
  const since = Math.max(champion.dataWindow?.until ?? champion.createdAt, now - q.windowMs);
  const rows = await labelledPredictions(x, { tenantId, modelName: def.name, datasetId: def.dataset, version: champion.version, since, limit: MAX_ROWS });
  if (rows.length < q.minRows) return null;
  const y = Float64Array.from(rows, (r) => r.label);
  const p = Float64Array.from(rows, (r) => (def.task === 'binary' ? (r.score ?? r.prediction) : r.prediction));
  const metrics = evaluate(def.task, y, p) as unknown as Record<string, number>;
  const value = metrics[def.primaryMetric];
  if (value === undefined || !Number.isFinite(value)) return null;
  const accuracy = def.task === 'binary' && Number.isFinite(metrics.accuracy) ? metrics.accuracy! : null;
  const earlier = await recentLivePoints(x, tenantId, def.name, q.trend.points - 1, champion.version);
  const t = trendOf([...earlier.filter((e) => e.at < now).map((e) => e.value), value], higherIsBetter(def.primaryMetric), q.trend);
  return { tenant_id: tenantId, model_name: def.name, at: now, version: champion.version, metric: def.primaryMetric, value, accuracy, labelled: rows.length, trend: t.trend, slope: t.slope };
}
