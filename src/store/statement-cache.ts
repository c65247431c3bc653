/**
 * Kysely's SQLite driver prepares every statement it runs, and better-sqlite3 compiles each one
 * anew: for the engine's short queries (claim, heartbeat, finish) compiling costs more than running.
 * This hands Kysely a database whose prepare() reuses compiled statements by SQL text. Reuse is safe
 * because Kysely only calls all() and run(), which finish before they return; SQLite re-prepares a
 * statement by itself when a migration changes the schema under it.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct statements kept; texts with variable-length IN lists or VALUES rows come and go. */
const MAX_STATEMENTS = 500;

export function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
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
        statement = database.prepare(sql);
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, statement);
      return statement as unknown as SqliteStatement;
    },
  };
}
