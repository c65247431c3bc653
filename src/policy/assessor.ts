/**
 * Gathers the evidence a model's retrain policy needs (and only that) and assesses it: the
 * champion, the labelled samples that arrived since its training window, its live metric on
 * predictions whose labels came later, and the drift of recent data from its training window.
 * Used by the train job's `decide` stage, by `nightshift assess` (a dry run) and after ingests.
 */
import type { ModelRegistry, ModelVersion } from '../registry/index.ts';
import type { Executor } from '../store/db.ts';
import { getModelProfile } from '../store/model-profiles.ts';
import { labelledPredictions } from '../store/prediction-log.ts';
import { loadNewestColumns } from '../store/sample-window.ts';
import { countLabelledSince } from '../store/samples.ts';
import { evaluate } from '../trainers/evaluate.ts';
import type { ModelDefinition } from '../training/model-definition.ts';
import { assess, type Assessment, type Evidence } from './assess.ts';
import type { DatasetDrift } from './drift.ts';
import { driftAgainstColumns, type ModelProfile } from './profile.ts';
import { NO_POLICY, type RetrainPolicy } from './retrain-policy.ts';

/** Recent rows read for drift: the newest ones, at most this many. */
export const DRIFT_MAX_ROWS = 200_000;
/** Labelled predictions read for the live metric, at most. */
export const LIVE_MAX_ROWS = 100_000;
const DAY_MS = 86_400_000;

export interface AssessorDeps {
  x: Executor;
  registry: ModelRegistry;
  now: () => number;
}

export interface AssessInput {
  tenantId: string;
  definition: ModelDefinition;
  /** A manual trigger: train whatever the rules say (still recorded). */
  force: boolean;
  /** Only the rules an ingest can change (new samples, drift): the staleness and live rules are left out. */
  onlyDataRules?: boolean;
}

export async function assessModel(d: AssessorDeps, input: AssessInput): Promise<Assessment> {
  const { tenantId, definition: def } = input;
  const declared = def.retrain ?? NO_POLICY;
  const policy: RetrainPolicy = input.onlyDataRules ? { ...declared, minLiveMetric: null, maxDaysSinceTraining: null } : declared;
  const now = d.now();
  const champion = await d.registry.champion(tenantId, def.name);
  const since = champion ? sinceOf(champion) : null;
  const fromStore = def.source.kind === 'store';
  const evidence: Evidence = {
    now,
    champion: champion ? { version: champion.version, trainedUntil: champion.dataWindow?.until ?? null, createdAt: champion.createdAt } : null,
    newSamples: champion && policy.minNewSamples !== null && fromStore ? await countLabelledSince(d.x, tenantId, def.dataset, since!) : null,
    live: champion && policy.minLiveMetric !== null ? await liveMetric(d.x, tenantId, def, champion, policy.minLiveMetric.metric, since!) : null,
    drift: champion && policy.drift !== null && fromStore ? await recentDrift(d.x, tenantId, def, champion, policy, since!, now) : null,
    force: input.force,
  };
  return assess(policy, evidence);
}

/** Where "since the champion" starts: the end of its training window, else when it was registered. */
const sinceOf = (v: ModelVersion): number => v.dataWindow?.until ?? v.createdAt;

/** The champion's metric on its logged predictions whose labels arrived (after its training window). */
async function liveMetric(x: Executor, tenantId: string, def: ModelDefinition, champion: ModelVersion, metric: NonNullable<RetrainPolicy['minLiveMetric']>['metric'], since: number): Promise<Evidence['live']> {
  const rows = await labelledPredictions(x, { tenantId, modelName: def.name, datasetId: def.dataset, version: champion.version, since, limit: LIVE_MAX_ROWS });
  if (rows.length === 0) return { metric, value: null, rows: 0 };
  const y = Float64Array.from(rows, (r) => r.label);
  const p = Float64Array.from(rows, (r) => (def.task === 'binary' ? (r.score ?? r.prediction) : r.prediction));
  const value = (evaluate(def.task, y, p) as unknown as Record<string, number>)[metric];
  return { metric, value: value === undefined || !Number.isFinite(value) ? null : value, rows: rows.length };
}

/** Recent samples (since the champion's window, at most DRIFT_MAX_ROWS of the newest) against its training window's profile. */
async function recentDrift(x: Executor, tenantId: string, def: ModelDefinition, champion: ModelVersion, policy: RetrainPolicy, since: number, now: number): Promise<DatasetDrift | null> {
  const stored = await getModelProfile(x, tenantId, def.name, champion.version);
  if (!stored) return null;
  const profile = JSON.parse(stored) as ModelProfile;
  // The window at most as long as the model's own, ending now.
  const from = Math.max(since, now - def.dataRangeDays * DAY_MS);
  // In columns, as training reads its window (reading values out of row objects cost more than the statistics), and only its newest rows.
  const window = await loadNewestColumns(x, tenantId, def.dataset, { since: from, until: now + 1 }, DRIFT_MAX_ROWS);
  return driftAgainstColumns(profile, window, policy.drift!, window.rows - DRIFT_MAX_ROWS);
}
