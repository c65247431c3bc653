/**
 * A cheap change detector for the whole store: a number that moves whenever a row of any watched
 * table is written and committed, read in microseconds (SQLite) or one round trip (PostgreSQL), so a
 * test can afford one read per request where a full dump (store-dump.ts) would cost milliseconds.
 *
 * It never misses a change; it may move when nothing changed (a false alarm), so a test that sees it
 * move compares full dumps to decide.
 * - SQLite: PRAGMA data_version on a connection of the test's own, which moves whenever any other
 *   connection (the engine's, a worker thread's, another process's) commits to the file. False
 *   alarms: a checkpoint that resets the WAL.
 * - PostgreSQL: a row-level AFTER trigger on every watched table (and a TRUNCATE trigger) takes a
 *   number from a sequence. A sequence is not transactional, so neither the engine's connections nor
 *   the trigger ever wait on a lock for it; the price is a false alarm for a write rolled back.
 *   Catalog-wide measures were rejected: the WAL position and pg_stat counters also move for other
 *   databases' traffic, vacuum and hint bits (the server is shared), and the statistics lag.
 */
import BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../src/engine.ts';
import { ident, storeTables } from './store-dump.ts';

export interface ChangeDetector {
  /** The current mark: equal marks mean no watched row was committed in between. */
  read(): Promise<number>;
  close(): Promise<void>;
}

const SEQUENCE = 'zz_test_store_changes';
const FUNCTION = 'zz_test_store_changed';
const TRIGGER = 'zz_test_store_change';

/** Watches every table of the engine's store but `exclude` (PostgreSQL; SQLite watches the whole file). */
export async function changeDetector(engine: Engine, exclude: readonly string[] = []): Promise<ChangeDetector> {
  if (engine.db.dialect === 'sqlite') {
    const observer = new BetterSqlite3(engine.db.location, { readonly: true, fileMustExist: true });
    const version = observer.prepare('PRAGMA data_version').pluck();
    return {
      read: async () => version.get() as number,
      close: async () => void observer.close(),
    };
  }
  const k = engine.db.k as Kysely<unknown>;
  const schema = (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(k)).rows[0]!.s;
  const q = (name: string) => `${ident(schema)}.${ident(name)}`;
  await sql.raw(`CREATE SEQUENCE ${q(SEQUENCE)}`).execute(k);
  await sql.raw(`CREATE FUNCTION ${q(FUNCTION)}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM nextval('${q(SEQUENCE)}'); RETURN NULL; END $$`).execute(k);
  const tables = (await storeTables(engine)).filter((t) => !exclude.includes(t));
  for (const table of tables) {
    await sql.raw(`CREATE TRIGGER ${ident(TRIGGER)} AFTER INSERT OR UPDATE OR DELETE ON ${q(table)} FOR EACH ROW EXECUTE FUNCTION ${q(FUNCTION)}()`).execute(k);
    await sql.raw(`CREATE TRIGGER ${ident(`${TRIGGER}_truncate`)} AFTER TRUNCATE ON ${q(table)} FOR EACH STATEMENT EXECUTE FUNCTION ${q(FUNCTION)}()`).execute(k);
  }
  const read = sql.raw<{ n: number }>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ${q(SEQUENCE)}`);
  return {
    read: async () => (await read.execute(k)).rows[0]!.n,
    close: async () => undefined,
  };
}
