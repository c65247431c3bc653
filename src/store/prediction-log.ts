/**
 * Predictions served through the API, keyed by (tenant, model, entity, ts, version), and their
 * labels once the matching sample arrives with one: the champion's live metric.
 */
import { insertRows } from './bulk-statements.ts';
import type { Executor } from './db.ts';
import type { PredictionLogTable } from './schema.ts';
import { decodeSamples, dictionaryFor } from './samples.ts';
import type { DatasetSchema, RawSample } from '../data/types.ts';

export type PredictionLogRow = PredictionLogTable;

const CHUNK = 500;

/** A prediction logged twice (same entity, time and version) is kept once. */
export async function insertPredictionLog(x: Executor, rows: readonly PredictionLogRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insertRows(x, 'prediction_log', rows.slice(i, i + CHUNK), 'on conflict do nothing');
}

export interface LabelledPrediction {
  ts: number;
  prediction: number;
  score: number | null;
  label: number;
}

/** The version's logged predictions at or after `since` whose sample has arrived with a label, oldest first. */
export async function labelledPredictions(
  x: Executor,
  q: { tenantId: string; modelName: string; datasetId: string; version: number; since: number; limit: number },
): Promise<LabelledPrediction[]> {
  const rows = await x
    .selectFrom('prediction_log as p')
    .innerJoin('samples as s', (j) => j.onRef('s.tenant_id', '=', 'p.tenant_id').onRef('s.entity', '=', 'p.entity').onRef('s.ts', '=', 'p.ts'))
    .select(['p.ts', 'p.prediction', 'p.score', 's.label'])
    .where('p.tenant_id', '=', q.tenantId)
    .where('p.model_name', '=', q.modelName)
    .where('p.version', '=', q.version)
    .where('p.ts', '>=', q.since)
    .where('s.dataset_id', '=', q.datasetId)
    .where('s.label', 'is not', null)
    .orderBy('p.ts')
    .limit(q.limit)
    .execute();
  return rows.map((r) => ({ ts: Number(r.ts), prediction: Number(r.prediction), score: r.score === null ? null : Number(r.score), label: Number(r.label) }));
}

/** Keeps at most `keep` rows per model (the newest logged) and none logged before `olderThan`. */
export async function pruneModelLog(x: Executor, tenantId: string, modelName: string, keep: number, olderThan: number): Promise<number> {
  const cut = await x
    .selectFrom('prediction_log')
    .select('logged_at')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .orderBy('logged_at', 'desc')
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  const before = Math.max(olderThan, cut ? Number(cut.logged_at) + 1 : -Infinity);
  const result = await x.deleteFrom('prediction_log').where('tenant_id', '=', tenantId).where('model_name', '=', modelName).where('logged_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The models that have logged predictions (for pruning). */
export async function loggedModels(x: Executor): Promise<Array<{ tenantId: string; modelName: string }>> {
  const rows = await x.selectFrom('prediction_log').select(['tenant_id', 'model_name']).groupBy(['tenant_id', 'model_name']).execute();
  return rows.map((r) => ({ tenantId: r.tenant_id, modelName: r.model_name }));
}

/** The samples (with their labels) of the version's logged predictions at or after `since`, decoded: a shadow model scores the same rows. */
export async function labelledLoggedSamples(
  x: Executor,
  schema: DatasetSchema,
  q: { tenantId: string; modelName: string; version: number; since: number; limit: number },
): Promise<RawSample[]> {
  const rows = await x
    .selectFrom('prediction_log as p')
    .innerJoin('samples as s', (j) => j.onRef('s.tenant_id', '=', 'p.tenant_id').onRef('s.entity', '=', 'p.entity').onRef('s.ts', '=', 'p.ts'))
    .select(['s.ts', 's.entity', 's.label', 's.vals'])
    .where('p.tenant_id', '=', q.tenantId)
    .where('p.model_name', '=', q.modelName)
    .where('p.version', '=', q.version)
    .where('p.ts', '>=', q.since)
    .where('s.dataset_id', '=', schema.id)
    .where('s.label', 'is not', null)
    .orderBy('p.ts')
    .limit(q.limit)
    .execute();
  return decodeSamples(schema, await dictionaryFor(x, schema), rows.map((r) => ({ ts: Number(r.ts), entity: r.entity, label: r.label === null ? null : Number(r.label), vals: r.vals })));
}
