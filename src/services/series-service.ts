/**
 * Metric series and trends (issue 16, item 1): per model, each version's gate metrics, the
 * champion's live metric over time, its trainings' durations and success rate, each with its
 * Theil–Sen trend (monitor/trend.ts); per tenant the same in summary (one row per model, read in a
 * fixed number of statements); across tenants the operator's view of trainings and alerts.
 */
import type { Clock } from '../clock.ts';
import type { ModelService } from '../models/model-service.ts';
import type { MonitorSettings } from '../monitor/alert-thresholds.ts';
import { trendOf, type TrendOptions, type TrendResult } from '../monitor/trend.ts';
import { activeAlertCounts, activeAlertRows } from '../store/alerts.ts';
import type { Db } from '../store/db.ts';
import { latestVersionPoints, recentLivePoints, type LivePointRow } from '../store/live-points.ts';
import { modelFacts } from '../store/monitor-facts.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { modelCounts, modelGaugeRows, recentTrainings, trainingStats, type TrainingStatsRow } from '../store/training-stats.ts';
import { higherIsBetter, type GateMetric } from '../training/gate.ts';
import type { ModelDefinition } from '../training/model-definition.ts';

const DAY = 86_400_000;

export interface VersionPoint {
  version: number;
  createdAt: number;
  gatePassed: boolean;
  wasChampion: boolean;
  metrics: Record<string, number | null>;
  trainingMs: number;
}

export interface ModelSeries {
  tenantId: string;
  model: string;
  primaryMetric: GateMetric;
  higherIsBetter: boolean;
  trendOptions: TrendOptions;
  championVersion: number | null;
  /** Oldest first; the trend is of the primary metric of the versions that passed the gate. */
  versions: { points: VersionPoint[]; trend: TrendResult };
  /** The champion's live metric each time labels arrived (every version's, oldest first); the trend is the current champion's. */
  live: { points: Array<{ at: number; version: number; value: number; accuracy: number | null; labelled: number }>; trend: TrendResult };
  trainings: {
    runs: Array<{ runId: string; status: string; outcome: string | null; finishedAt: number; durationMs: number | null }>;
    ended: number;
    succeeded: number;
    successRate: number | null;
    durationMs: { mean: number | null; median: number | null; max: number | null };
    /** Of the durations (lower is better: `improving` means faster). */
    durationTrend: TrendResult;
  };
  openAlerts: string[];
}

export interface ModelSummaryMetrics {
  model: string;
  championVersion: number | null;
  championAt: number | null;
  primaryMetric: string;
  live: { value: number; accuracy: number | null; version: number; at: number; trend: string } | null;
  trainings: { ended: number; failed: number; successRate: number | null; failedInARow: number };
  lastTraining: { at: number; status: string; outcome: string | null } | null;
  openAlerts: string[];
}

/** A champion's latest live point and the trend of its latest points (the overview's live metric). */
export interface ChampionLive {
  metric: string;
  value: number;
  accuracy: number | null;
  labelled: number;
  version: number;
  at: number;
  trend: TrendResult;
}

export interface ChampionOf {
  tenantId: string;
  model: string;
  championVersion: number | null;
  definition: Pick<ModelDefinition, 'primaryMetric' | 'alerts'>;
}

export const modelKey = (tenantId: string, model: string): string => `${tenantId}\u0000${model}`;

export interface Totals {
  trainings: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  successRate: number | null;
  durationMs: { mean: number | null; max: number | null };
}

export class SeriesService {
  constructor(private readonly d: { db: Db; clock: Clock; settings: MonitorSettings; models: Pick<ModelService, 'model' | 'registry'> }) {}

  #trend(tolerance?: number): TrendOptions {
    const s = this.d.settings;
    return { points: s.trendPoints, minPoints: s.trendMinPoints, tolerance: tolerance ?? s.trendTolerance };
  }

  /** One model's series; `points`: how many versions, live points and trainings (latest). */
  async model(tenantId: string, name: string, points = 20): Promise<ModelSeries> {
    const { definition: def, jobId } = await this.d.models.model(tenantId, name);
    const x = this.d.db.k;
    const [versions, champion, live, runs, alerts] = await Promise.all([
      this.d.models.registry.listVersions(tenantId, name, { limit: points }),
      this.d.models.registry.champion(tenantId, name),
      recentLivePoints(x, tenantId, name, points),
      recentTrainings(x, tenantId, jobId, points),
      activeAlertRows(x, tenantId),
    ]);
    const better = higherIsBetter(def.primaryMetric);
    const options = this.#trend(def.alerts?.trendTolerance);
    const vs: VersionPoint[] = [...versions.items].reverse().map((v) => ({ version: v.version, createdAt: v.createdAt, gatePassed: v.gate.passed, wasChampion: v.wasChampion, metrics: v.metrics, trainingMs: v.trainingMs }));
    const passed = vs.filter((v) => v.gatePassed).map((v) => v.metrics[def.primaryMetric]).filter((m): m is number => typeof m === 'number' && Number.isFinite(m));
    const championLive = live.filter((p) => p.version === champion?.version).map((p) => p.value);
    const ended = runs.filter((r) => r.status !== 'cancelled');
    const succeeded = ended.filter((r) => r.status === 'succeeded').length;
    const durations = runs.map((r) => r.durationMs).filter((d): d is number => d !== null);
    return {
      tenantId,
      model: name,
      primaryMetric: def.primaryMetric,
      higherIsBetter: better,
      trendOptions: options,
      championVersion: champion?.version ?? null,
      versions: { points: vs, trend: trendOf(passed, better, options) },
      live: { points: live.map((p) => ({ at: p.at, version: p.version, value: p.value, accuracy: p.accuracy, labelled: p.labelled })), trend: trendOf(championLive, better, options) },
      trainings: {
        runs,
        ended: ended.length,
        succeeded,
        successRate: ended.length ? succeeded / ended.length : null,
        durationMs: { mean: durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null, median: median(durations), max: durations.length ? Math.max(...durations) : null },
        durationTrend: trendOf(durations, false, { ...options, tolerance: 0.1 * (median(durations) ?? 0) }),
      },
      openAlerts: alerts.filter((a) => a.model_name === name).map((a) => a.type).sort(),
    };
  }

  /**
   * Per model given (a page of the overview), its champion's latest live point and the trend of the
   * champion's latest points, with the options the monitor records its points with (so the arrow
   * agrees with MODEL_DEGRADATION and the model's series): one statement for the whole page. A
   * model without a champion, or whose champion has no point yet, is absent from the map.
   */
  async championLive(models: readonly ChampionOf[]): Promise<Map<string, ChampionLive>> {
    const withChampion = models.filter((m): m is ChampionOf & { championVersion: number } => m.championVersion !== null);
    const rows = await latestVersionPoints(this.d.db.k, withChampion.map((m) => ({ tenantId: m.tenantId, model: m.model, version: m.championVersion })), this.d.settings.trendPoints);
    const byModel = new Map<string, LivePointRow[]>();
    for (const r of rows) {
      const key = modelKey(r.tenant_id, r.model_name);
      const list = byModel.get(key);
      if (list) list.push(r);
      else byModel.set(key, [r]);
    }
    const out = new Map<string, ChampionLive>();
    for (const m of withChampion) {
      const points = byModel.get(modelKey(m.tenantId, m.model));
      const last = points?.at(-1);
      if (!points || !last) continue;
      const trend = trendOf(points.map((p) => p.value), higherIsBetter(m.definition.primaryMetric), this.#trend(m.definition.alerts?.trendTolerance));
      out.set(modelKey(m.tenantId, m.model), { metric: last.metric, value: last.value, accuracy: last.accuracy, labelled: last.labelled, version: last.version, at: last.at, trend });
    }
    return out;
  }

  /** Every model of the tenant in summary, over the last `days`, and the tenant's totals. */
  async tenant(tenantId: string, days = 30): Promise<{ tenantId: string; since: number; totals: Totals; models: ModelSummaryMetrics[] }> {
    const since = this.d.clock.now() - days * DAY;
    const x = this.d.db.k;
    const [facts, stats, alerts] = await Promise.all([modelFacts(x, tenantId, since), trainingStats(x, tenantId, since), activeAlertRows(x, tenantId)]);
    const byModel = groupAlerts(alerts);
    return {
      tenantId,
      since,
      totals: totalsOf(stats),
      models: facts.map((f) => {
        const def = JSON.parse(f.spec!) as ModelDefinition;
        return {
          model: f.model,
          championVersion: f.championVersion,
          championAt: f.championCreatedAt,
          primaryMetric: def.primaryMetric,
          live: f.live && f.live.version === f.championVersion ? { value: f.live.value, accuracy: f.live.accuracy, version: f.live.version, at: f.live.at, trend: f.live.trend } : null,
          trainings: { ended: f.ended, failed: f.failed, successRate: f.ended ? (f.ended - f.failed) / f.ended : null, failedInARow: f.streak },
          lastTraining: f.lastFinishedAt === null ? null : { at: f.lastFinishedAt, status: f.lastStatus!, outcome: f.lastOutcome },
          openAlerts: byModel.get(`${tenantId}\u0000${f.model}`) ?? [],
        };
      }),
    };
  }

  /** Active alerts by type and severity (the /metrics gauge). */
  openAlertCounts(): Promise<Array<{ type: string; severity: string; n: number }>> {
    return activeAlertCounts(this.d.db.k);
  }

  /** Per model with a champion: its gate metrics, and its live metric when the latest point is about it (the /metrics gauges). */
  async gauges(): Promise<Array<{ tenantId: string; model: string; version: number; gate: Record<string, number>; live: { metric: string; value: number; accuracy: number | null } | null }>> {
    return (await modelGaugeRows(this.d.db.k)).map((r) => {
      const gate: Record<string, number> = {};
      for (const [k, v] of Object.entries(JSON.parse(r.metrics) as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) gate[k] = v;
      const live = r.liveVersion === r.version && r.liveMetric !== null && r.liveValue !== null ? { metric: r.liveMetric, value: r.liveValue, accuracy: r.liveAccuracy } : null;
      return { tenantId: r.tenantId, model: r.model, version: r.version, gate, live };
    });
  }

  /** The operator's view: per tenant and overall, trainings over the last `days`, models, and the models with open alerts. */
  async system(days = 1) {
    const since = this.d.clock.now() - days * DAY;
    const x = this.d.db.k;
    const [stats, counts, alerts] = await Promise.all([trainingStats(x, ALL_TENANTS, since), modelCounts(x, ALL_TENANTS), activeAlertRows(x, ALL_TENANTS)]);
    const tenants = [...new Set([...counts.map((c) => c.tenantId), ...stats.map((s) => s.tenantId)])].sort();
    const byModel = groupAlerts(alerts);
    const byType: Record<string, number> = {};
    for (const a of alerts) byType[a.type] = (byType[a.type] ?? 0) + 1;
    return {
      since,
      totals: { ...totalsOf(stats), models: counts.reduce((a, c) => a + c.models, 0), tenants: tenants.length },
      tenants: tenants.map((t) => ({ tenantId: t, models: counts.find((c) => c.tenantId === t)?.models ?? 0, ...totalsOf(stats.filter((s) => s.tenantId === t)) })),
      alerts: { open: alerts.length, byType },
      modelsWithOpenAlerts: [...byModel.entries()].map(([key, types]) => {
        const [tenantId, model] = key.split('\u0000') as [string, string];
        return { tenantId, model: model === '' ? null : model, alerts: types };
      }),
    };
  }
}

function groupAlerts(rows: ReadonlyArray<{ tenant_id: string; model_name: string; type: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of rows) {
    const key = `${a.tenant_id}\u0000${a.model_name}`;
    out.set(key, [...(out.get(key) ?? []), a.type].sort());
  }
  return out;
}

function totalsOf(rows: readonly TrainingStatsRow[]): Totals {
  const n = (status: string) => rows.filter((r) => r.status === status).reduce((a, r) => a + r.n, 0);
  const trainings = rows.reduce((a, r) => a + r.n, 0);
  const succeeded = n('succeeded');
  const failed = n('failed') + n('timed_out');
  const totalMs = rows.reduce((a, r) => a + r.totalMs, 0);
  const maxes = rows.map((r) => r.maxMs).filter((m): m is number => m !== null);
  return {
    trainings,
    succeeded,
    failed,
    cancelled: n('cancelled'),
    successRate: succeeded + failed ? succeeded / (succeeded + failed) : null,
    durationMs: { mean: trainings ? totalMs / trainings : null, max: maxes.length ? Math.max(...maxes) : null },
  };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
