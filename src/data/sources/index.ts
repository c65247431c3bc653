/** Data sources: the built-in store, a CSV file and a PostgreSQL query; all return RawSample rows per tenant. */
export { createCsvSource, CsvSource, TENANT_PLACEHOLDER, type CsvSourceOptions } from './csv-source.ts';
export { CsvParser, csvField, parseCsv } from './csv-parse.ts';
export { missingColumns, parseTime, sampleFromRecord } from './row-mapping.ts';
export { compileSqlSource, SQL_EXAMPLE, SQL_PARAMS, sqlValues, type CompiledSql, type SqlParam, type SqlTimeFormat } from './sql-compile.ts';
export { createSqlSource, SqlSource, type SqlSourceOptions } from './sql-source.ts';
export { createStoreSource, StoreSource } from './store-source.ts';
export { checkWindow, defaultWindow, inWindow } from './window.ts';
