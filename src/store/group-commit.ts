/**
 * Group commit for SQLite. With `synchronous = FULL` every COMMIT waits for an fsync, and
 * better-sqlite3 waits on the event loop; a burst of small transactions (runs finishing, claims)
 * would pay one fsync each, one after another. Here the transactions that arrive while one is being
 * written share the next COMMIT instead.
 *
 * Each transaction keeps its own all-or-nothing boundary through a SAVEPOINT: one that throws is
 * rolled back alone, and only its caller gets the error. Transactions run in the order they arrived,
 * each seeing the writes of those before it, as if run one by one.
 *
 * Durability. A batch is committed without the fsync (`synchronous = NORMAL` for its COMMIT, the
 * connection's FULL restored after it), and the WAL is then fsynced on libuv's thread pool
 * (`WalSync`). A durable transaction (the default) is answered only after that fsync, so it is
 * exactly as durable as under FULL. A `visible` one (a claim: see inTransaction) is answered at once,
 * when other readers can see it; a power failure in the next milliseconds may undo it, never a
 * process crash. The event loop goes on with the next batch while the disk syncs, and one fsync
 * covers every batch committed before it started. WAL frames are replayed only as a prefix, so
 * whatever survives a power failure is every transaction up to some point, never a gap.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { IdleCheckpoint } from './idle-checkpoint.ts';
import type { Database } from './schema.ts';

type Executor = Kysely<Database>;

/** When a committed transaction's caller is answered: after the fsync, or as soon as it is visible. */
export type Durability = 'durable' | 'visible';

interface Pending {
  fn: (tx: Executor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  durability: Durability;
  onVisible: ((value: unknown) => void) | undefined;
}

/** Makes everything written to the WAL so far durable (an fsync of the WAL file). */
export type WalSync = () => Promise<void>;

// Compiled once: up to two of these run around every transaction of a batch.
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint ns_tx');
const RELEASE = CompiledQuery.raw('release ns_tx');
const ROLLBACK_TO = CompiledQuery.raw('rollback to ns_tx');
const NO_SYNC = CompiledQuery.raw('pragma synchronous = NORMAL');
const FULL_SYNC = CompiledQuery.raw('pragma synchronous = FULL');
const CHECKPOINT = CompiledQuery.raw('pragma wal_checkpoint(PASSIVE)');

/** How long the queue must stay empty before the WAL is checkpointed (idle-checkpoint.ts). */
export const CHECKPOINT_QUIET_MS = 20;

/** Bounds the work (and the time) one COMMIT waits for. */
const MAX_BATCH = 256;

export class GroupCommit {
  readonly #k: Executor;
  #queue: Pending[] = [];
  #draining = false;
  #commits = 0;
  #transactions = 0;
  #syncs = 0;
  /** null: not in WAL mode; each COMMIT then syncs under FULL and answers are durable at once. */
  readonly #sync: WalSync | null;
  /** Answers of durable transactions committed since the last fsync started. */
  #unsynced: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  #syncing: Promise<void> | null = null;
  readonly #checkpoint: IdleCheckpoint;

  constructor(k: Executor, sync: WalSync | null, checkpointQuietMs = CHECKPOINT_QUIET_MS) {
    this.#k = k;
    this.#sync = sync;
    this.#checkpoint = new IdleCheckpoint(() => k.connection().execute(async (conn) => void (await conn.executeQuery(CHECKPOINT))), checkpointQuietMs);
  }

  /** COMMITs written, transactions they carried (rolled-back ones included), WAL fsyncs and idle checkpoints, since open. */
  stats(): { commits: number; transactions: number; syncs: number; checkpoints: number } {
    return { commits: this.#commits, transactions: this.#transactions, syncs: this.#syncs, checkpoints: this.#checkpoint.count };
  }

  /** onVisible: called with the result at COMMIT, before a durable transaction's answer waits for the fsync. */
  run<T>(fn: (tx: Executor) => Promise<T>, durability: Durability = 'durable', onVisible?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject, durability, onVisible: onVisible as ((value: unknown) => void) | undefined });
      this.#checkpoint.busy();
      if (this.#draining) return;
      this.#draining = true;
      // Start after the I/O callbacks of this loop turn, so transactions they begin share one COMMIT.
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    await this.#commit(this.#queue.splice(0, MAX_BATCH));
    if (this.#queue.length === 0) {
      this.#draining = false;
      this.#checkpoint.idle();
    }
    // Not at once: the callers just answered go on to begin more transactions (a run ends, the next
    // claim follows); after this loop turn they all share the next COMMIT instead of the first few
    // taking one of their own.
    else setImmediate(() => void this.#drain());
  }

  /** No idle checkpoint from now on (the store is closing); resolves once one in progress is over. */
  stop(): Promise<void> {
    return this.#checkpoint.stop();
  }

  /** Resolves when every transaction answered so far is answered and no fsync is in flight (before closing the file). */
  async settled(): Promise<void> {
    while (this.#draining || this.#syncing) {
      await this.#syncing;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    const answers: Answer[] = [];
    try {
      await this.#k.connection().execute(async (conn) => {
        // The fsync comes after, off the event loop (#afterSync); NORMAL lasts for this COMMIT only,
        // so writes made outside the queue on this connection keep FULL.
        const deferSync = this.#sync !== null;
        if (deferSync) await conn.executeQuery(NO_SYNC);
        try {
          // IMMEDIATE takes the write lock up front: processes sharing the file queue (busy timeout) instead of deadlocking.
          await conn.executeQuery(BEGIN_IMMEDIATE);
          try {
            if (batch.length === 1) {
              const only = batch[0]!;
              const value = await only.fn(conn);
              answers.push({ item: only, ok: true, value });
            } else {
              for (const item of batch) answers.push(await runInSavepoint(conn, item));
            }
            await conn.executeQuery(COMMIT);
            this.#checkpoint.committed();
            this.#commits++;
            this.#transactions += batch.length;
          } catch (error) {
            await conn.executeQuery(ROLLBACK).catch(() => undefined);
            throw error;
          }
        } finally {
          if (deferSync) await conn.executeQuery(FULL_SYNC);
        }
      });
    } catch (error) {
      // Nothing of the batch was committed (a lone transaction's own error lands here too).
      for (const item of batch) item.reject(error);
      return;
    }
    for (const { item, ok, value } of answers) {
      if (!ok) {
        item.reject(value);
        continue;
      }
      item.onVisible?.(value);
      if (item.durability === 'visible' || this.#sync === null) item.resolve(value);
      else this.#afterSync(() => item.resolve(value), item.reject);
    }
  }

  #afterSync(resolve: () => void, reject: (error: unknown) => void): void {
    this.#unsynced.push({ resolve, reject });
    this.#syncing ??= this.#syncLoop();
  }

  /** One fsync at a time; each covers every COMMIT before it started, so waiting answers share it. */
  async #syncLoop(): Promise<void> {
    while (this.#unsynced.length > 0) {
      const waiting = this.#unsynced;
      this.#unsynced = [];
      try {
        await this.#sync?.();
        this.#syncs++;
        for (const w of waiting) w.resolve();
      } catch (error) {
        // Committed, but not known to be on disk: the caller must not take it as durable.
        for (const w of waiting) w.reject(error);
      }
    }
    this.#syncing = null;
  }
}

interface Answer {
  item: Pending;
  ok: boolean;
  /** The transaction's result, or its error when !ok. */
  value: unknown;
}

/** Runs one transaction of a batch; its failure undoes only its own writes. Throws when SQLite cannot continue the batch. */
async function runInSavepoint(conn: Executor, item: Pending): Promise<Answer> {
  await conn.executeQuery(SAVEPOINT);
  try {
    const value = await item.fn(conn);
    await conn.executeQuery(RELEASE);
    return { item, ok: true, value };
  } catch (error) {
    // If SQLite already ended the whole transaction (disk full, I/O error), this throws and the batch fails as a whole.
    await conn.executeQuery(ROLLBACK_TO);
    await conn.executeQuery(RELEASE);
    return { item, ok: false, value: error };
  }
}
