/** The ingest benchmark's store: a fresh SQLite database (the embedded default) with one tenant and one dataset. */
import { checkDatasetDefinition } from '../../src/data/ingest/dataset-definition.ts';
import { defineDataset } from '../../src/data/ingest/dataset-service.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { upsertTenant } from '../../src/store/tenants.ts';
import { FEATURES } from './data.ts';

export const TENANT = 'bench';
export const DATASET = 'events';
export const ENTITIES = 1000;

export const entityOf = (row: number) => `m-${String(row % ENTITIES).padStart(4, '0')}`;

export async function openStore(dataDir: string, create: boolean): Promise<Db> {
  const db = await openDb({ dataDir, databaseUrl: null });
  if (!create) return db;
  await migrate(db);
  const now = Date.now();
  await upsertTenant(db.k, { id: TENANT, name: 'GBDT benchmark', timezone: 'UTC' }, now);
  const definition = {
    entityKey: 'machine',
    timestamp: 'ts',
    features: Array.from({ length: FEATURES }, (_, f) => ({ name: `f${f}`, type: 'numeric', nullable: false })),
    label: { name: 'y', type: 'binary', nullable: false },
  };
  await defineDataset(db, checkDatasetDefinition(TENANT, DATASET, definition), now);
  return db;
}
