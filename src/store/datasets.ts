/**
 * Dataset definitions: one row per (tenant, dataset) holding the declared schema. Every statement
 * takes the tenant: a dataset id alone never reaches another tenant's rows.
 */
import type { DatasetSchema } from '../data/types.ts';
import type { Executor } from './db.ts';
import type { DatasetsTable } from './schema.ts';

export type DatasetRow = DatasetsTable;

export function datasetValues(schema: DatasetSchema, now: number): DatasetRow {
  return {
    tenant_id: schema.tenantId,
    id: schema.id,
    entity_key: schema.entityKey,
    ts_column: schema.timestamp,
    features: JSON.stringify(schema.features.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable }))),
    label: JSON.stringify({ name: schema.label.name, type: schema.label.type, nullable: schema.label.nullable }),
    created_at: now,
    updated_at: now,
    last_ingest_at: null,
  };
}

export function datasetSchemaOf(row: DatasetRow): DatasetSchema {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    entityKey: row.entity_key,
    timestamp: row.ts_column,
    features: JSON.parse(row.features) as DatasetSchema['features'],
    label: JSON.parse(row.label) as DatasetSchema['label'],
  };
}

export async function insertDataset(x: Executor, row: DatasetRow): Promise<void> {
  await x.insertInto('datasets').values(row).execute();
}

/** Replaces the schema columns of an existing dataset; false when it does not exist. */
export async function updateDatasetSchema(x: Executor, schema: DatasetSchema, now: number): Promise<boolean> {
  const { entity_key, ts_column, features, label } = datasetValues(schema, now);
  const result = await x
    .updateTable('datasets')
    .set({ entity_key, ts_column, features, label, updated_at: now })
    .where('tenant_id', '=', schema.tenantId)
    .where('id', '=', schema.id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function getDatasetRow(x: Executor, tenantId: string, id: string): Promise<DatasetRow | undefined> {
  return x.selectFrom('datasets').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function listDatasetRows(x: Executor, tenantId: string): Promise<DatasetRow[]> {
  return x.selectFrom('datasets').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

export async function markIngested(x: Executor, tenantId: string, id: string, now: number): Promise<void> {
  await x.updateTable('datasets').set({ last_ingest_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

/**
 * The advisory-lock key (PostgreSQL) that serializes schema changes and ingests of one dataset
 * across nodes; SQLite serializes writers anyway. Two FNV-1a hashes make 48 bits, kept at or above
 * 2^32 so that they never meet the small global LOCK_KEYS.
 */
export function datasetLockKey(tenantId: string, id: string): number {
  const text = `dataset\u0000${tenantId}\u0000${id}`;
  const fnv = (seed: number) => {
    let h = seed;
    for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  };
  return ((fnv(0x811c9dc5) & 0xffff) + 1) * 2 ** 32 + fnv(0x050c5d1f);
}
