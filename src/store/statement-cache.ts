/**
 * Kysely's SQLite driver prepares every statement it runs, and better-sqlite3 compiles each one
 * anew: for the engine's short queries (claim, heartbeat, finish) compiling costs more than running.
 * This hands Kysely a database whose prepare() reuses compiled statements by SQL text. Reuse is safe
 * because Kysely only calls all(), run() and iterate(), which are done with the statement before
 * the next call; SQLite re-prepares a statement by itself when a migration changes the schema under it.
 *
 * Rows are read as arrays and made into objects here (row-shape.ts): better-sqlite3 builds each
 * row object property by property, about twice the time of the whole read for a run's 36 columns.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { shapedStatement } from './row-shape.ts';

/** Distinct statements kept; texts with variable-length IN lists or VALUES rows come and go. */
const MAX_STATEMENTS = 500;

/** A schema change made through this handle: the column lists read so far may be out of date. */
const DDL = /^\s*(create|alter|drop)\b/i;

export function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  const schema = { generation: 0 };
  return {
    close: () => {
      cache.clear();
      database.close();
    },
    prepare: (sql: string): SqliteStatement => {
      let statement = cache.get(sql);
      if (statement) {
        // Least recently used goes first: re-insert on every hit.
        cache.delete(sql);
      } else {
        if (DDL.test(sql)) schema.generation++;
        statement = shapedStatement(database.prepare(sql), schema);
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}
