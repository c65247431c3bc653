/**
 * Datasets per tenant: define (create or change the schema), describe and list. Every operation
 * names the tenant; another tenant's dataset is "not found".
 */
import { NsError, notFound } from '../../errors.ts';
import { inTransaction, type Db, type Executor } from '../../store/db.ts';
import { datasetLockKey, datasetSchemaOf, datasetValues, getDatasetRow, insertDataset, listDatasetRows, updateDatasetSchema, type DatasetRow } from '../../store/datasets.ts';
import { deleteCategories, hasSamples, sampleStatsByDataset, type SampleStats } from '../../store/samples.ts';
import { getTenant } from '../../store/tenants.ts';
import type { DatasetSchema } from '../types.ts';
import { incompatibilities, sameSchema } from './dataset-definition.ts';

export type DefineResult = 'created' | 'updated' | 'unchanged';

export interface DatasetView {
  schema: DatasetSchema;
  samples: SampleStats;
  createdAt: number;
  updatedAt: number;
  lastIngestAt: number | null;
}

export async function assertTenant(x: Executor, tenantId: string): Promise<void> {
  if (!(await getTenant(x, tenantId))) throw notFound('tenant', tenantId);
}

/** The dataset's stored row; NS_NOT_FOUND for an unknown tenant or a dataset it does not have. */
export async function requireDataset(x: Executor, tenantId: string, datasetId: string): Promise<DatasetRow> {
  await assertTenant(x, tenantId);
  const row = await getDatasetRow(x, tenantId, datasetId);
  if (!row) throw notFound('dataset', datasetId);
  return row;
}

/**
 * Creates the dataset or changes its schema. Once it holds samples, only changes they survive are
 * accepted (see incompatibilities); any other is NS_CONFLICT, naming each reason.
 */
export async function defineDataset(db: Db, schema: DatasetSchema, now: number): Promise<DefineResult> {
  const { tenantId, id } = schema;
  return inTransaction(
    db,
    async (x) => {
      await assertTenant(x, tenantId);
      const existing = await getDatasetRow(x, tenantId, id);
      if (!existing) {
        await insertDataset(x, datasetValues(schema, now));
        return 'created';
      }
      const prev = datasetSchemaOf(existing);
      if (sameSchema(prev, schema)) return 'unchanged';
      if (await hasSamples(x, tenantId, id)) {
        const reasons = incompatibilities(prev, schema);
        if (reasons.length > 0) {
          throw new NsError(
            'NS_CONFLICT',
            `dataset "${id}" holds samples and this schema change would break them: ${reasons.join('; ')}. ` +
              'Allowed once samples exist: add nullable features at the end, make a column nullable, rename the entity, timestamp or label column; otherwise define a new dataset',
            { field: 'features', details: { reasons } },
          );
        }
      } else {
        // No samples: the schema may change freely, and no stored code may outlive it.
        await deleteCategories(x, tenantId, id);
      }
      await updateDatasetSchema(x, schema, now);
      return 'updated';
    },
    { lock: datasetLockKey(tenantId, id) },
  );
}

const EMPTY: SampleStats = { count: 0, firstTs: null, lastTs: null };

const viewOf = (row: DatasetRow, stats: SampleStats | undefined): DatasetView => ({
  schema: datasetSchemaOf(row),
  samples: stats ?? EMPTY,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastIngestAt: row.last_ingest_at,
});

export async function describeDataset(x: Executor, tenantId: string, datasetId: string): Promise<DatasetView> {
  const row = await requireDataset(x, tenantId, datasetId);
  return viewOf(row, (await sampleStatsByDataset(x, tenantId, datasetId)).get(datasetId));
}

export async function listDatasets(x: Executor, tenantId: string): Promise<DatasetView[]> {
  await assertTenant(x, tenantId);
  const rows = await listDatasetRows(x, tenantId);
  const stats = rows.length > 0 ? await sampleStatsByDataset(x, tenantId) : new Map<string, SampleStats>();
  return rows.map((r) => viewOf(r, stats.get(r.id)));
}
