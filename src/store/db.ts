import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { NsError } from '../errors.ts';
import { GroupCommit, type Durability } from './group-commit.ts';
import type { Database } from './schema.ts';
import { withStatementCache } from './statement-cache.ts';
import { walFile } from './wal-sync.ts';

export type DialectName = 'sqlite' | 'postgres';
export type Executor = Kysely<Database>;

/** The store's handle: one Kysely instance and which dialect is behind it. */
export interface Db {
  readonly k: Kysely<Database>;
  readonly dialect: DialectName;
  /** For SQLite, the file path; for PostgreSQL, the URL without password. */
  readonly location: string;
  /**
   * SQLite: whether the file is in WAL mode (false: the filesystem refused it, so readers block
   * writers and every COMMIT pays its own fsync; /health and a warning at start say so).
   * PostgreSQL: null.
   */
  readonly wal: boolean | null;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  dataDir: string;
  databaseUrl: string | null;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** SQLite: create the data dir and the file when absent (default true); false opens only an existing file. */
  create?: boolean;
}

export const SQLITE_FILE = 'nightshift.db';

export async function openDb(options: OpenDbOptions): Promise<Db> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10) : openSqlite(options.dataDir, options.create ?? true);
}

/** The SQLite file of a data dir. */
export const sqliteFileIn = (dataDir: string): string => join(resolve(dataDir), SQLITE_FILE);

function openSqlite(dataDir: string, create: boolean): Db {
  const dir = resolve(dataDir);
  if (create) mkdirSync(dir, { recursive: true });
  const file = join(dir, SQLITE_FILE);
  let database: BetterSqlite3.Database;
  let wal = false;
  try {
    // The busy timeout lets several processes share one file: writers queue instead of failing.
    database = new BetterSqlite3(file, { timeout: 15_000, fileMustExist: !create });
    wal = database.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new NsError('NS_STORE', `cannot open SQLite database ${file}: ${(cause as Error).message}`, { cause });
  }
  const k = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  // Without WAL (a filesystem that cannot share memory maps) every COMMIT keeps its own fsync.
  const log = wal ? walFile(`${file}-wal`) : null;
  const commits = new GroupCommit(k, log?.sync ?? null);
  groupCommits.set(k, commits);
  sqliteFiles.set(k, file);
  const close = async () => {
    await commits.stop();
    await commits.settled();
    await log?.close();
    await k.destroy();
  };
  return { k, dialect: 'sqlite', location: file, wal, close };
}

function openPostgres(url: string, max: number): Db {
  // int8 columns (epoch ms) come back as numbers: every value we store fits in 2^53.
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({ connectionString: url, max, types } as pg.PoolConfig);
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => undefined);
  const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { k, dialect: 'postgres', location: url.replace(/:[^:@/]*@/, ':***@'), wal: null, close: () => k.destroy() };
}

/**
 * Runs fn in one write transaction. SQLite: BEGIN IMMEDIATE takes the write lock up front, so two
 * processes on one file serialize instead of deadlocking on lock upgrade; transactions waiting at
 * once share a COMMIT (group-commit.ts). PostgreSQL: an optional transaction-scoped advisory lock
 * serializes a critical section across nodes; the server groups commits itself.
 *
 * `visible` answers once the COMMIT is visible to every reader, before it is on disk (SQLite: the WAL
 * fsync follows; PostgreSQL: `synchronous_commit = off` for this transaction only). Only for a
 * transaction whose loss in a power failure is harmless: a claim. If a claim is lost, its run is
 * still queued after the restart and runs then, as an interrupted run would have (its lease expired,
 * it is requeued). A process crash loses nothing either way. Everything reported as done (a run's
 * end, a decided slot) stays `durable`: answered after the fsync.
 */
export async function inTransaction<T>(db: Db, fn: (tx: Executor) => Promise<T>, options: TransactionOptions<T> = {}): Promise<T> {
  const { lock, durability = 'durable', onVisible } = options;
  if (db.dialect === 'postgres') {
    const value = await db.k.transaction().execute(async (tx) => {
      if (durability === 'visible') await sql`set local synchronous_commit = off`.execute(tx);
      if (lock !== undefined) await advisoryLock(tx, 'postgres', lock);
      return fn(tx);
    });
    onVisible?.(value);
    return value;
  }
  return groupCommitOf(db.k).run(fn, durability, onVisible);
}

export interface TransactionOptions<T> {
  /** PostgreSQL: an advisory lock (LOCK_KEYS) held for the transaction. */
  lock?: number;
  durability?: Durability;
  /**
   * Called once the transaction is committed and visible, which for a durable one may be before it
   * is on disk: for work that may start then (claimed runs), while the answer waits for the fsync.
   */
  onVisible?: (value: T) => void;
}

/**
 * A single-statement write (a heartbeat, a pid). SQLite: through the commit queue, so it shares a
 * COMMIT with whatever else is being written. PostgreSQL: the statement commits on its own; a
 * transaction around it would only add BEGIN and COMMIT round trips.
 */
export function inStatement<T>(db: Db, fn: (x: Executor) => Promise<T>): Promise<T> {
  return db.dialect === 'postgres' ? fn(db.k) : groupCommitOf(db.k).run(fn);
}

/** One commit queue per SQLite handle: its single connection is what the queue serializes. */
const groupCommits = new WeakMap<Executor, GroupCommit>();

export function groupCommitOf(k: Executor): GroupCommit {
  const queue = groupCommits.get(k);
  if (!queue) throw new Error('no commit queue for this handle: only a SQLite store opened by openDb has one');
  return queue;
}

/** The database file behind each SQLite handle openDb made (not behind a transaction's executor). */
const sqliteFiles = new WeakMap<Executor, string>();

/**
 * The SQLite file `x` reads, when it is a handle openDb made: a bulk reader may open its own
 * read-only connection on it (WAL readers do not block the handle's writers, nor wait for them).
 * Null for PostgreSQL and for a transaction's executor (its uncommitted writes would be missed).
 */
export function sqliteFileOf(x: Executor): string | null {
  return sqliteFiles.get(x) ?? null;
}

/** Advisory-lock keys (PostgreSQL) for the few global critical sections. */
export const LOCK_KEYS = { migrate: 7_001_001, claim: 7_001_002, sync: 7_001_003, runKey: 7_001_004, firstKey: 7_001_017 } as const;

/** PostgreSQL: a lock held until the caller's transaction ends. SQLite: nothing (its write lock is held already). */
export async function advisoryLock(x: Executor, dialect: DialectName, key: number): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${key})`.execute(x);
}

/**
 * Serializes, until the transaction ends, everything that checks and then changes the runs of one
 * (tenant, job) — single-flight checks read before they write. PostgreSQL takes a transaction-scoped
 * advisory lock; SQLite's BEGIN IMMEDIATE already serializes every writer.
 */
export async function lockRunKey(x: Executor, dialect: DialectName, tenantId: string, jobId: string): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${LOCK_KEYS.runKey}, hashtext(${`${tenantId}/${jobId}`}))`.execute(x);
}

/** lockRunKey for many (tenant, job) pairs in one round trip, in a fixed order (no deadlocks between nodes). */
export async function lockRunKeys(x: Executor, dialect: DialectName, keys: ReadonlyArray<{ tenantId: string; jobId: string }>): Promise<void> {
  if (dialect !== 'postgres' || keys.length === 0) return;
  const texts = [...new Set(keys.map((k) => `${k.tenantId}/${k.jobId}`))].sort();
  await sql`select pg_advisory_xact_lock(${LOCK_KEYS.runKey}, hashtext(k)) from unnest(${texts}::text[]) as k order by k`.execute(x);
}
