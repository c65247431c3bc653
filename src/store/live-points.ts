/** The champion's live metric over time (model_live_points, migration 16). */
import type { Executor } from './db.ts';
import type { ModelLivePointsTable } from './schema.ts';

export type LivePointRow = ModelLivePointsTable;

/** A second point at the same instant replaces the first. */
export async function upsertLivePoint(x: Executor, row: LivePointRow): Promise<void> {
  await x
    .insertInto('model_live_points')
    .values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'model_name', 'at']).doUpdateSet({ version: row.version, metric: row.metric, value: row.value, accuracy: row.accuracy, labelled: row.labelled, trend: row.trend, slope: row.slope }))
    .execute();
}

/** The latest `limit` points of the model (of one version when given), oldest first. */
export async function recentLivePoints(x: Executor, tenantId: string, model: string, limit: number, version?: number): Promise<LivePointRow[]> {
  let q = x.selectFrom('model_live_points').selectAll().where('tenant_id', '=', tenantId).where('model_name', '=', model);
  if (version !== undefined) q = q.where('version', '=', version);
  const rows = await q.orderBy('at', 'desc').limit(limit).execute();
  return rows.reverse().map((r) => ({ ...r, at: Number(r.at), value: Number(r.value), accuracy: r.accuracy === null ? null : Number(r.accuracy), labelled: Number(r.labelled), slope: r.slope === null ? null : Number(r.slope) }));
}
