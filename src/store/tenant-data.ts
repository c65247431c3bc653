/**
 * A tenant's rows in every table: how much data it has (one statement), and deleting them (one
 * statement per table). The caller runs them in one transaction; artifacts are the registry
 * storage's business (registry/artifact-storage.ts), and the tenant row itself is tenants.ts'.
 */
import { sql } from 'kysely';
import type { Executor } from './db.ts';

export interface TenantDataCounts {
  /** Live schedules (deleted ones keep their history as tombstones and are not counted). */
  schedules: number;
  runs: number;
  /** Runs running now: a tenant is never deleted under them. */
  running: number;
  datasets: number;
  samples: number;
  models: number;
  versions: number;
}

/** How much the tenant has, table by table, in one statement. */
export async function countTenantData(x: Executor, tenantId: string): Promise<TenantDataCounts> {
  const { rows } = await sql<Record<keyof TenantDataCounts, number | string>>`select
    (select count(*) from schedules where tenant_id = ${tenantId} and deleted_at is null) as schedules,
    (select count(*) from runs where tenant_id = ${tenantId}) as runs,
    (select count(*) from runs where tenant_id = ${tenantId} and status = 'running') as running,
    (select count(*) from datasets where tenant_id = ${tenantId}) as datasets,
    (select count(*) from samples where tenant_id = ${tenantId}) as samples,
    (select count(*) from model_definitions where tenant_id = ${tenantId}) as models,
    (select count(*) from model_versions where tenant_id = ${tenantId}) as versions`.execute(x);
  const row = rows[0]!;
  return {
    schedules: Number(row.schedules),
    runs: Number(row.runs),
    running: Number(row.running),
    datasets: Number(row.datasets),
    samples: Number(row.samples),
    models: Number(row.models),
    versions: Number(row.versions),
  };
}

/**
 * Every table with tenant rows, in the order they are deleted: rows that point at others first
 * (schedules and datasets reference the tenant row, which goes last).
 */
export const TENANT_TABLES = [
  'slots',
  'run_stages',
  'run_inputs',
  'run_attempts',
  'runs',
  'schedules',
  'samples',
  'dataset_categories',
  'datasets',
  'model_alias_history',
  'model_aliases',
  'model_versions',
  'model_version_counters',
  'model_definitions',
  'model_profiles',
  'assessments',
  'prediction_log',
  'notification_attempts',
  'notification_outbox',
  'notification_channels',
] as const;

export type TenantTable = (typeof TENANT_TABLES)[number];

/** Deletes the tenant's rows of one table; returns how many. */
export async function deleteTenantRows(x: Executor, table: TenantTable, tenantId: string): Promise<number> {
  const result = await x.deleteFrom(table).where('tenant_id', '=', tenantId).executeTakeFirst();
  return Number(result.numDeletedRows);
}
