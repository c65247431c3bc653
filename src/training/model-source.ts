/** The data source a declared model reads, for one tenant: the built-in store, a CSV file or SQL. */
import { createCsvSource, createSqlSource, createStoreSource } from '../data/sources/index.ts';
import type { DataSource, DatasetSchema } from '../data/types.ts';
import type { Executor } from '../store/db.ts';
import type { ModelDefinition } from './model-definition.ts';

export function modelSource(x: Executor, def: ModelDefinition, schema: DatasetSchema): DataSource {
  const s = def.source;
  if (s.kind === 'csv') return createCsvSource({ path: s.path, schema, ...(s.tenantColumn !== null ? { tenantColumn: s.tenantColumn } : {}) });
  if (s.kind === 'sql') return createSqlSource({ url: s.url, query: s.query, schema, field: 'source.query' });
  return createStoreSource(x, def.dataset);
}
