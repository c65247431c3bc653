/**
 * Store setup shared by the benchmarks that need thousands of (tenant, model) pairs with a champion
 * (bench/decide/assess.ts, bench/monitor/pass.ts): the rows the registry would write, inserted in
 * bulk (registering and promoting 10,000 versions one by one took minutes of setup), and the
 * PostgreSQL schema a benchmark made for itself, dropped at the end.
 */
import pg from 'pg';
import { insertRows } from '../../src/store/bulk-statements.ts';
import type { Executor } from '../../src/store/db.ts';
import { PG_BASE_URL } from '../../test/helpers/dialects.ts';

/** Inserts rows (all with the same columns) `size` at a time. */
export async function insertChunks<T extends object>(x: Executor, table: string, rows: readonly T[], size = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insertRows(x, table, rows.slice(i, i + size));
}

export const tenantRow = (id: string, at: number) => ({ id, name: id, timezone: 'UTC', created_at: at, updated_at: at });

/** Version 1 of a model, registered at `createdAt` with its training window, gate passed (a model_versions row). */
export function championVersionRow(tenantId: string, modelName: string, o: { since: number; until: number; createdAt: number }): Record<string, unknown> {
  return {
    tenant_id: tenantId, model_name: modelName, version: 1, name: `${modelName}_${tenantId}_v1`, trainer: 'gbdt', params: '{}', mode: 'full', parent_version: null,
    data_since: o.since, data_until: o.until, train_samples: 1000, holdout_samples: 200, metrics: '{"auc":0.9,"accuracy":0.85}',
    gate_passed: 1, gate_reasons: '[]', artifact_sha256: 'x'.repeat(64), artifact_size: 1, training_ms: 1000, trigger: 'schedule', run_id: null,
    was_champion: 1, created_at: o.createdAt, compared_to: null,
  };
}

/** The champion alias on version 1 (a model_aliases row). */
export const championAliasRow = (tenantId: string, modelName: string, at: number) => ({ tenant_id: tenantId, model_name: modelName, alias: 'champion', version: 1, revision: 1, updated_at: at });

/** Drops the schema a freshPostgresUrl() made (named in its search_path). */
export async function dropSchema(url: string): Promise<void> {
  const schema = /search_path%3D(ns_t_[0-9a-f]+)/.exec(url)?.[1];
  if (!schema) return;
  const client = new pg.Client({ connectionString: PG_BASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema ${schema} cascade`);
  } finally {
    await client.end();
  }
}
