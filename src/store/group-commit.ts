/**
 * Group commit for SQLite. With `synchronous = FULL` every COMMIT waits for an fsync, and
 * better-sqlite3 waits on the event loop; a burst of small transactions (runs finishing, claims)
 * would pay one fsync each, one after another. Here the transactions that arrive while one is being
 * written share the next COMMIT instead.
 *
 * Each transaction keeps its own all-or-nothing boundary through a SAVEPOINT: one that throws is
 * rolled back alone, and only its caller gets the error. Every caller is answered only after the
 * COMMIT has returned, so a transaction that resolved is exactly as durable as before. Transactions
 * run in the order they arrived, each seeing the writes of those before it, as if run one by one.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Executor = Kysely<Database>;

interface Pending {
  fn: (tx: Executor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

// Compiled once: up to two of these run around every transaction of a batch.
const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint ns_tx');
const RELEASE = CompiledQuery.raw('release ns_tx');
const ROLLBACK_TO = CompiledQuery.raw('rollback to ns_tx');

/** Bounds the work (and the time) one COMMIT waits for. */
const MAX_BATCH = 256;

export class GroupCommit {
  readonly #k: Executor;
  #queue: Pending[] = [];
  #draining = false;
  #commits = 0;
  #transactions = 0;

  constructor(k: Executor) {
    this.#k = k;
  }

  /** COMMITs written and transactions they carried (rolled-back ones included), since open. */
  stats(): { commits: number; transactions: number } {
    return { commits: this.#commits, transactions: this.#transactions };
  }

  run<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.#draining) return;
      this.#draining = true;
      // Start after the I/O callbacks of this loop turn, so transactions they begin share one COMMIT.
      setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    await this.#commit(this.#queue.splice(0, MAX_BATCH));
    if (this.#queue.length === 0) this.#draining = false;
    // Not at once: the callers just answered go on to begin more transactions (a run ends, the next
    // claim follows); after this loop turn they all share the next COMMIT instead of the first few
    // taking one of their own.
    else setImmediate(() => void this.#drain());
  }

  async #commit(batch: Pending[]): Promise<void> {
    const answers: Array<() => void> = [];
    try {
      await this.#k.connection().execute(async (conn) => {
        // IMMEDIATE takes the write lock up front: processes sharing the file queue (busy timeout) instead of deadlocking.
        await conn.executeQuery(BEGIN_IMMEDIATE);
        try {
          if (batch.length === 1) {
            const only = batch[0]!;
            const value = await only.fn(conn);
            answers.push(() => only.resolve(value));
          } else {
            for (const item of batch) answers.push(await runInSavepoint(conn, item));
          }
          await conn.executeQuery(COMMIT);
          this.#commits++;
          this.#transactions += batch.length;
        } catch (error) {
          await conn.executeQuery(ROLLBACK).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      // Nothing of the batch was committed (a lone transaction's own error lands here too).
      for (const item of batch) item.reject(error);
      return;
    }
    for (const answer of answers) answer();
  }
}

/** Runs one transaction of a batch; its failure undoes only its own writes. Throws when SQLite cannot continue the batch. */
async function runInSavepoint(conn: Executor, item: Pending): Promise<() => void> {
  await conn.executeQuery(SAVEPOINT);
  try {
    const value = await item.fn(conn);
    await conn.executeQuery(RELEASE);
    return () => item.resolve(value);
  } catch (error) {
    // If SQLite already ended the whole transaction (disk full, I/O error), this throws and the batch fails as a whole.
    await conn.executeQuery(ROLLBACK_TO);
    await conn.executeQuery(RELEASE);
    return () => item.reject(error);
  }
}
