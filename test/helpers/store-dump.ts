/**
 * A dump of the whole store, SQLite or PostgreSQL: every table the schema has (read from the
 * catalog, so a table added by a later migration is included without touching this file), each
 * table's rows ordered by its primary key, every column. Two dumps are equal exactly when no row was
 * added, removed or changed, which is what "a refused request changed nothing" means.
 *
 * The dump is one SELECT that renders each table as a JSON array of rows, so a test can afford
 * many. SQLite: values as stored, blobs as hex tagged so they never equal text. PostgreSQL: every
 * value as its text output (exact for every type, bytea as \x hex), tables of the store's schema
 * (the search_path a test's fresh schema sets).
 */
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../src/engine.ts';

/** Table → its rows as a JSON array of arrays (columns in `columns` order). */
export interface StoreDump {
  tables: Record<string, string>;
  columns: Record<string, string[]>;
}

interface Column {
  name: string;
  /** Position in the primary key, from 1; 0 when not part of it. */
  pk: number;
}

/** Quotes an identifier read from the catalog (never user input) for use in a statement. */
export const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The store's tables, by name, as the catalog lists them. */
export async function storeTables(engine: Engine): Promise<string[]> {
  const k = engine.db.k as Kysely<unknown>;
  const statement = engine.db.dialect === 'sqlite'
    ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
    : sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`;
  return (await statement.execute(k)).rows.map((r) => r.name);
}

async function columnsOf(engine: Engine, table: string): Promise<Column[]> {
  const k = engine.db.k as Kysely<unknown>;
  if (engine.db.dialect === 'sqlite') return (await sql<Column>`SELECT name, pk FROM pragma_table_info(${table})`.execute(k)).rows;
  const rows = await sql<Column>`
    SELECT a.attname AS name, coalesce(array_position(i.indkey::int2[], a.attnum), 0) AS pk
      FROM pg_attribute a
      LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
     WHERE a.attrelid = (quote_ident(current_schema()) || '.' || quote_ident(${table}))::regclass AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`.execute(k);
  return rows.rows;
}

/** One table's rows as a JSON array, in primary-key order (no key: ordered by the whole row). */
function tableSelect(dialect: 'sqlite' | 'postgres', table: string, cols: Column[]): string {
  const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  if (dialect === 'sqlite') {
    const orderBy = pk.length > 0 ? pk.map((c) => ident(c.name)).join(', ') : 'rowid';
    const values = cols.map((c) => `CASE typeof(${ident(c.name)}) WHEN 'blob' THEN 'blob:' || hex(${ident(c.name)}) ELSE ${ident(c.name)} END`).join(', ');
    return `(SELECT json_group_array(json_array(${values}) ORDER BY ${orderBy}) FROM ${ident(table)})`;
  }
  const row = `json_build_array(${cols.map((c) => `${ident(c.name)}::text`).join(', ')})`;
  const orderBy = pk.length > 0 ? pk.map((c) => ident(c.name)).join(', ') : `${row}::text`;
  return `(SELECT coalesce(json_agg(${row} ORDER BY ${orderBy}), '[]')::text FROM ${ident(table)})`;
}

/**
 * Prepares the dump of every table but `exclude` (each name must be a table: an exclusion left
 * behind by a rename fails loudly instead of excluding nothing). Tables are read once, at
 * preparation: none appear while a test runs.
 */
export async function storeDumper(engine: Engine, exclude: readonly string[] = []): Promise<() => Promise<StoreDump>> {
  const k = engine.db.k as Kysely<unknown>;
  const tables = await storeTables(engine);
  const unknown = exclude.filter((t) => !tables.includes(t));
  if (unknown.length > 0) throw new Error(`storeDumper: no table named ${unknown.join(', ')}`);
  const columns: Record<string, string[]> = {};
  const parts: string[] = [];
  for (const table of tables.filter((t) => !exclude.includes(t))) {
    const cols = await columnsOf(engine, table);
    columns[table] = cols.map((c) => c.name);
    parts.push(`${tableSelect(engine.db.dialect, table, cols)} AS ${ident(table)}`);
  }
  const statement = sql.raw(`SELECT ${parts.join(',\n')}`);
  return async () => {
    const row = (await sql<Record<string, string>>`${statement}`.execute(k)).rows[0]!;
    return { tables: { ...row }, columns };
  };
}

/** The tables whose rows differ between two dumps, each with its first difference. */
export function dumpDifferences(before: StoreDump, after: StoreDump): string[] {
  const out: string[] = [];
  for (const table of Object.keys(before.tables)) {
    const a = before.tables[table]!;
    const b = after.tables[table];
    if (a === b) continue;
    const rowsA = JSON.parse(a) as unknown[][];
    const rowsB = JSON.parse(b ?? '[]') as unknown[][];
    const cols = before.columns[table] ?? [];
    const named = (row: unknown[] | undefined) => (row ? JSON.stringify(Object.fromEntries(cols.map((c, i) => [c, row[i]]))).slice(0, 300) : 'none');
    if (rowsA.length !== rowsB.length) {
      const added = rowsB.find((r) => !rowsA.some((x) => JSON.stringify(x) === JSON.stringify(r)));
      out.push(`${table}: ${rowsA.length} → ${rowsB.length} rows (e.g. ${named(added)})`);
      continue;
    }
    const i = rowsA.findIndex((r, n) => JSON.stringify(r) !== JSON.stringify(rowsB[n]));
    out.push(`${table}: row ${i} changed: ${named(rowsA[i])} → ${named(rowsB[i])}`);
  }
  return out;
}
