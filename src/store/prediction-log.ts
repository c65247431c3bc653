/**
 * Predictions served through the API, keyed by (tenant, model, entity, ts, version), and their
 * labels once the matching sample arrives with one: the champion's live metric.
 */
import { CompiledQuery } from 'kysely';
import { dialectOf, valueTuples } from './bulk-statements.ts';
import type { Executor } from './db.ts';
import { decodeSamples, dictionaryFor } from './samples.ts';
import type { DatasetSchema, RawSample } from '../data/types.ts';

/**
 * Predictions to log, in columns (no object per prediction: the serving path appends to these):
 * row i is (tenant[i], model[i], entity[i], ts[i], version[i], prediction[i], score[i], loggedAt[i]),
 * score NaN when the model gives none.
 */
export interface PredictionLogBatch {
  rows: number;
  tenant: string[];
  model: string[];
  entity: string[];
  ts: number[];
  version: number[];
  prediction: number[];
  score: number[];
  loggedAt: number[];
}

export const emptyPredictionLogBatch = (): PredictionLogBatch => ({ rows: 0, tenant: [], model: [], entity: [], ts: [], version: [], prediction: [], score: [], loggedAt: [] });

const COLUMNS = ['tenant_id', 'model_name', 'entity', 'ts', 'version', 'prediction', 'score', 'logged_at'];

/**
 * Rows per statement: full statements of the first size, the rest in the smaller ones. A handful of
 * fixed texts, each compiled once and reused (statement-cache.ts), where a statement sized to each
 * batch's remainder would be compiled anew on every flush.
 */
const STATEMENT_ROWS = [256, 32, 4, 1];
const texts = new Map<string, string>();

function insertText(x: Executor, rows: number): string {
  const key = `${dialectOf(x)} ${rows}`;
  let text = texts.get(key);
  if (!text) texts.set(key, (text = `insert into prediction_log (${COLUMNS.join(', ')}) values ${valueTuples(x, rows, COLUMNS.map(() => null))} on conflict do nothing`));
  return text;
}

/** Writes the batch; a prediction logged twice (same entity, time and version) is kept once. */
export async function insertPredictionLog(x: Executor, b: PredictionLogBatch): Promise<void> {
  let at = 0;
  for (const size of STATEMENT_ROWS) {
    for (; b.rows - at >= size; at += size) {
      const parameters = new Array<unknown>(size * COLUMNS.length);
      for (let i = 0, p = 0; i < size; i++) {
        const r = at + i;
        parameters[p++] = b.tenant[r];
        parameters[p++] = b.model[r];
        parameters[p++] = b.entity[r];
        parameters[p++] = b.ts[r];
        parameters[p++] = b.version[r];
        parameters[p++] = b.prediction[r];
        parameters[p++] = Number.isNaN(b.score[r]!) ? null : b.score[r];
        parameters[p++] = b.loggedAt[r];
      }
      await x.executeQuery(CompiledQuery.raw(insertText(x, size), parameters));
    }
  }
}

export interface LabelledPrediction {
  ts: number;
  prediction: number;
  score: number | null;
  label: number;
}

interface LabelledQuery {
  tenantId: string;
  modelName: string;
  datasetId: string;
  version: number;
  since: number;
  limit: number;
}

/** The version's logged predictions at or after `since` joined to their samples that arrived with a label, oldest first: one shape for both readers. */
function labelledLogRows(x: Executor, q: LabelledQuery) {
  return x
    .selectFrom('prediction_log as p')
    .innerJoin('samples as s', (j) => j.onRef('s.tenant_id', '=', 'p.tenant_id').onRef('s.entity', '=', 'p.entity').onRef('s.ts', '=', 'p.ts'))
    .where('p.tenant_id', '=', q.tenantId)
    .where('p.model_name', '=', q.modelName)
    .where('p.version', '=', q.version)
    .where('p.ts', '>=', q.since)
    .where('s.dataset_id', '=', q.datasetId)
    .where('s.label', 'is not', null)
    .orderBy('p.ts')
    .limit(q.limit);
}

/** The version's logged predictions at or after `since` whose sample has arrived with a label, oldest first. */
export async function labelledPredictions(x: Executor, q: LabelledQuery): Promise<LabelledPrediction[]> {
  const rows = await labelledLogRows(x, q).select(['p.ts', 'p.prediction', 'p.score', 's.label']).execute();
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
  const rows = await labelledLogRows(x, { ...q, datasetId: schema.id }).select(['s.ts', 's.entity', 's.label', 's.vals']).execute();
  return decodeSamples(schema, await dictionaryFor(x, schema), rows.map((r) => ({ ts: Number(r.ts), entity: r.entity, label: r.label === null ? null : Number(r.label), vals: r.vals })));
}
