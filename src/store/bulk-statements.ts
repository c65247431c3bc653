/**
 * Multi-row statements written out as text with the dialect's placeholders. The query builder makes
 * an immutable node per value: for the scheduler's batches (hundreds of rows × dozens of columns,
 * at most once a second, so the code never gets hot) building took longer than SQLite took to run
 * the statement. Table and column names come from our own code, never from input.
 */
import { CompiledQuery, sql } from 'kysely';
import type { DialectName, Executor } from './db.ts';

const dialects = new WeakMap<Executor, DialectName>();

/** Which dialect compiles for this executor (a transaction does not carry the Db handle). */
export function dialectOf(x: Executor): DialectName {
  let dialect = dialects.get(x);
  if (!dialect) dialects.set(x, (dialect = sql`${0}`.compile(x).sql === '?' ? 'sqlite' : 'postgres'));
  return dialect;
}

/** The n-th parameter's placeholder (from 1): `?` on SQLite, `$n` on PostgreSQL. */
export function placeholder(x: Executor, n: number): string {
  return dialectOf(x) === 'sqlite' ? '?' : `$${n}`;
}

/**
 * `rows` parenthesized tuples of placeholders for a VALUES list, `?` on SQLite and `$1, $2, …` on
 * PostgreSQL. `types[i]` casts column i (`BIGINT`, `INTEGER`); PostgreSQL would take an uncast
 * parameter in a VALUES list as text. null leaves a column uncast.
 */
export function valueTuples(x: Executor, rows: number, types: ReadonlyArray<string | null>): string {
  const sqlite = dialectOf(x) === 'sqlite';
  let n = 0;
  const cast = (type: string | null) => {
    const p = placeholder(x, ++n);
    return type ? `CAST(${p} AS ${type})` : p;
  };
  const tuple = () => `(${types.map(cast).join(', ')})`;
  // SQLite's placeholders are all alike: one tuple, repeated.
  return sqlite ? Array<string>(rows).fill(tuple()).join(', ') : Array.from({ length: rows }, tuple).join(', ');
}

/** INSERT of rows that all have the same columns (the first row's), with an optional tail (ON CONFLICT …, RETURNING …). */
export async function insertRows<R = never>(x: Executor, table: string, rows: ReadonlyArray<object>, tail = ''): Promise<R[]> {
  const first = rows[0];
  if (!first) return [];
  const columns = Object.keys(first);
  const tuples = valueTuples(x, rows.length, columns.map(() => null));
  const parameters: unknown[] = [];
  for (const row of rows) for (const c of columns) parameters.push((row as Record<string, unknown>)[c] ?? null);
  const text = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples}${tail ? ` ${tail}` : ''}`;
  const { rows: out } = await x.executeQuery<R>(CompiledQuery.raw(text, parameters));
  return out;
}
