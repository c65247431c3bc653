/** The champion's live metric over time (model_live_points, migration 16). */
import { sql } from 'kysely';
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

export interface ChampionKey {
  tenantId: string;
  model: string;
  version: number;
}

/**
 * The latest `perModel` points of each given model's version, oldest first, in one statement
 * whatever the number of models (a page of the dashboard's overview): per key, one seek finds the
 * `perModel`-th latest point of the version, one range reads the points from it on (primary key:
 * tenant, model, at).
 */
export async function latestVersionPoints(x: Executor, keys: readonly ChampionKey[], perModel: number): Promise<LivePointRow[]> {
  if (keys.length === 0 || perModel < 1) return [];
  // PostgreSQL types a VALUES list's parameters as text: the version is cast to compare with the integer column.
  const values = sql.join(keys.map((k) => sql`(${k.tenantId}, ${k.model}, cast(${k.version} as integer))`));
  const { rows } = await sql<Record<string, unknown>>`
    with k (tenant_id, model_name, version) as (values ${values})
    select p.tenant_id, p.model_name, p.at, p.version, p.metric, p.value, p.accuracy, p.labelled, p.trend, p.slope
    from k join model_live_points p on p.tenant_id = k.tenant_id and p.model_name = k.model_name and p.version = k.version
      and p.at >= coalesce((select q.at from model_live_points q where q.tenant_id = k.tenant_id and q.model_name = k.model_name and q.version = k.version
        order by q.at desc limit 1 offset ${perModel - 1}), ${Number.MIN_SAFE_INTEGER})
    order by p.tenant_id, p.model_name, p.at`.execute(x);
  return rows.map((r) => ({
    tenant_id: r.tenant_id as string,
    model_name: r.model_name as string,
    at: Number(r.at),
    version: Number(r.version),
    metric: r.metric as string,
    value: Number(r.value),
    accuracy: r.accuracy === null ? null : Number(r.accuracy),
    labelled: Number(r.labelled),
    trend: r.trend as string,
    slope: r.slope === null ? null : Number(r.slope),
  }));
}
