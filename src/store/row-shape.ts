/**
 * Rows as objects, built from better-sqlite3's raw (array) rows by a function compiled once per
 * column list: an object literal, which V8 creates from one template with its final shape, instead
 * of better-sqlite3 adding the properties one by one. Same keys in the same order, same values, and
 * a later column of the same name wins, exactly as better-sqlite3's own objects. (One difference: a
 * column named `__proto__` is an own property here; better-sqlite3 would make its value the prototype.)
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteStatement } from 'kysely';

type Row = Record<string, unknown>;
type Shape = (values: unknown[]) => Row;

/** Bumped by the caller on every schema change it makes; a statement re-reads its columns after one. */
export interface SchemaGeneration {
  readonly generation: number;
}

/** Compiles a row builder for these column names (names are embedded as JSON string literals, never as code). */
export function compileShape(columns: readonly string[]): Shape {
  // A plain "__proto__" key would set the prototype; the computed form makes an own property.
  const fields = columns.map((name, i) => (name === '__proto__' ? `["__proto__"]: v[${i}]` : `${JSON.stringify(name)}: v[${i}]`)).join(', ');
  return new Function('v', `return { ${fields} };`) as Shape;
}

/** A statement whose reading calls return objects built by compileShape; run() is untouched. */
export function shapedStatement(statement: BetterSqlite3.Statement, schema: SchemaGeneration): SqliteStatement {
  if (!statement.reader) return statement as unknown as SqliteStatement;
  statement.raw(true);
  let generation = -1;
  let width = -1;
  let shape: Shape = compileShape([]);
  // Re-read after a schema change made here, or when the rows' width shows one made elsewhere (another
  // process's migration: SQLite re-prepares the statement by itself and `select *` gains columns).
  const shapeFor = (values: unknown[]): Shape => {
    if (generation !== schema.generation || values.length !== width) {
      const columns = statement.columns().map((c) => c.name);
      shape = compileShape(columns);
      width = columns.length;
      generation = schema.generation;
    }
    return shape;
  };
  return {
    reader: true,
    all: (parameters) => {
      const rows = statement.all(parameters) as unknown[][];
      const out: Row[] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) out[i] = shapeFor(rows[i]!)(rows[i]!);
      return out;
    },
    run: (parameters) => statement.run(parameters),
    *iterate(parameters) {
      for (const values of statement.iterate(parameters) as IterableIterator<unknown[]>) yield shapeFor(values)(values);
    },
  };
}
