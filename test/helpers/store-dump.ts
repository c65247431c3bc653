/**
 * A dump of the whole SQLite store: every table the schema has (read from sqlite_master, so a table
 * added by a later migration is included without touching this file), each table's rows ordered by
 * its primary key, every column. Two dumps are equal exactly when no row was added, removed or
 * changed, which is what "a refused request changed nothing" means.
 *
 * The dump is one SELECT that renders each table as a JSON array of rows (json_group_array), so a
 * fuzz test can afford one per request; blobs are rendered as hex, tagged so they never equal text.
 */
import { sql } from 'kysely';
import type { Engine } from '../../src/engine.ts';

/** Table → its rows as a JSON array of arrays (columns in `columns` order). */
export interface StoreDump {
  tables: Record<string, string>;
  columns: Record<string, string[]>;
}

interface Column {
  name: string;
  pk: number;
}

/** Quotes an identifier read from sqlite_master (never user input) for use in a statement. */
const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Prepares the dump of every table but `exclude` (each name must be a table: an exclusion left
 * behind by a rename fails loudly instead of excluding nothing). Tables are read once, at
 * preparation: none appear while a test runs.
 */
export async function storeDumper(engine: Engine, exclude: readonly string[] = []): Promise<() => Promise<StoreDump>> {
  if (engine.db.dialect !== 'sqlite') throw new Error('storeDumper reads SQLite only');
  const k = engine.db.k;
  const tables = (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`.execute(k)).rows.map((r) => r.name);
  const unknown = exclude.filter((t) => !tables.includes(t));
  if (unknown.length > 0) throw new Error(`storeDumper: no table named ${unknown.join(', ')}`);
  const columns: Record<string, string[]> = {};
  const parts: string[] = [];
  for (const table of tables.filter((t) => !exclude.includes(t))) {
    const cols = (await sql<Column>`SELECT name, pk FROM pragma_table_info(${table})`.execute(k)).rows;
    const pk = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const orderBy = pk.length > 0 ? pk.map((c) => ident(c.name)).join(', ') : 'rowid';
    const values = cols.map((c) => `CASE typeof(${ident(c.name)}) WHEN 'blob' THEN 'blob:' || hex(${ident(c.name)}) ELSE ${ident(c.name)} END`).join(', ');
    columns[table] = cols.map((c) => c.name);
    parts.push(`(SELECT json_group_array(json_array(${values}) ORDER BY ${orderBy}) FROM ${ident(table)}) AS ${ident(table)}`);
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
