import { sql } from 'kysely';
import { NsError } from '../errors.ts';
import { inTransaction, LOCK_KEYS, type Db } from './db.ts';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-schedule-origin.ts';
import * as m0003 from './migrations/0003-datasets.ts';
import * as m0004 from './migrations/0004-history-indexes.ts';
import * as m0005 from './migrations/0005-model-registry.ts';
import * as m0006 from './migrations/0006-model-definitions.ts';
import * as m0007 from './migrations/0007-queue-indexes.ts';
import * as m0008 from './migrations/0008-success-index.ts';
import * as m0009 from './migrations/0009-covering-queue-index.ts';
import * as m0010 from './migrations/0010-run-recoveries.ts';
import * as m0011 from './migrations/0011-artifacts.ts';
import * as m0012 from './migrations/0012-training-runs.ts';
import * as m0013 from './migrations/0013-retrain-decisions.ts';
import * as m0014 from './migrations/0014-slots-past-the-horizon.ts';
import * as m0015 from './migrations/0015-notification-outbox.ts';
import * as m0016 from './migrations/0016-alerts.ts';
import * as m0017 from './migrations/0017-api-keys.ts';
import * as m0018 from './migrations/0018-audit-log.ts';

interface Migration {
  id: number;
  name: string;
  /** Plain SQL both dialects accept. */
  statements: readonly string[];
  /** Run after `statements`, on that dialect only (triggers, functions). */
  sqlite?: readonly string[];
  postgres?: readonly string[];
}

/** Numbered migrations, applied in order; never edit one that has landed. */
export const MIGRATIONS: readonly Migration[] = [
  { id: 1, ...m0001 },
  { id: 2, ...m0002 },
  { id: 3, ...m0003 },
  { id: 4, ...m0004 },
  { id: 5, ...m0005 },
  { id: 6, ...m0006 },
  { id: 7, ...m0007 },
  { id: 8, ...m0008 },
  { id: 9, ...m0009 },
  { id: 10, ...m0010 },
  { id: 11, ...m0011 },
  { id: 12, ...m0012 },
  { id: 13, ...m0013 },
  { id: 14, ...m0014 },
  { id: 15, ...m0015 },
  { id: 16, ...m0016 },
  { id: 17, ...m0017 },
  { id: 18, ...m0018 },
];

/**
 * Applies pending migrations, each in its own write transaction. Safe when several processes start
 * at once: SQLite serializes on BEGIN IMMEDIATE, PostgreSQL on an advisory lock, and each re-reads
 * what is applied inside the lock.
 */
export async function migrate(db: Db): Promise<number[]> {
  await sql`CREATE TABLE IF NOT EXISTS ns_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`
    .execute(db.k)
    .catch(async (error: unknown) => {
      // Two PostgreSQL nodes racing on CREATE TABLE IF NOT EXISTS can collide on the type name.
      const exists = await sql`SELECT 1 FROM ns_migrations LIMIT 1`.execute(db.k).then(() => true, () => false);
      if (!exists) throw error;
    });
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    await inTransaction(
      db,
      async (tx) => {
        const done = await tx.selectFrom('ns_migrations').select('id').where('id', '=', migration.id).executeTakeFirst();
        if (done) return;
        for (const statement of [...migration.statements, ...(migration[db.dialect] ?? [])]) {
          try {
            await sql.raw(statement).execute(tx);
          } catch (cause) {
            throw new NsError('NS_STORE', `migration ${migration.id} (${migration.name}) failed: ${(cause as Error).message}`, { cause });
          }
        }
        await tx.insertInto('ns_migrations').values({ id: migration.id, name: migration.name, applied_at: Date.now() }).execute();
        applied.push(migration.id);
      },
      { lock: LOCK_KEYS.migrate },
    );
  }
  return applied;
}

/** The schema version this code needs: the last migration's number. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.id;

/**
 * What the store holds, without changing it: null when it has no ns_migrations table (no
 * nightshift store: an empty file or database), else the highest migration applied and those
 * still to apply.
 */
export async function schemaState(db: Db): Promise<{ version: number; pending: number[] } | null> {
  const found =
    db.dialect === 'postgres'
      ? (await sql<{ t: string | null }>`select to_regclass('ns_migrations')::text as t`.execute(db.k)).rows[0]?.t != null
      : (await sql`select 1 from sqlite_master where type = 'table' and name = 'ns_migrations'`.execute(db.k)).rows.length > 0;
  if (!found) return null;
  const applied = new Set((await db.k.selectFrom('ns_migrations').select('id').execute()).map((r) => Number(r.id)));
  return { version: Math.max(0, ...applied), pending: MIGRATIONS.filter((m) => !applied.has(m.id)).map((m) => m.id) };
}
