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
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

type Executor = Kysely<Database>;

interface Pending {
  fn: (tx: Executor) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

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
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      await this.#commit(batch);
    }
    this.#draining = false;
  }

  async #commit(batch: Pending[]): Promise<void> {
    const answers: Array<() => void> = [];
    try {
      await this.#k.connection().execute(async (conn) => {
        // IMMEDIATE takes the write lock up front: processes sharing the file queue (busy timeout) instead of deadlocking.
        await sql`begin immediate`.execute(conn);
        try {
          if (batch.length === 1) {
            const only = batch[0]!;
            const value = await only.fn(conn);
            answers.push(() => only.resolve(value));
          } else {
            for (const item of batch) answers.push(await runInSavepoint(conn, item));
          }
          await sql`commit`.execute(conn);
          this.#commits++;
          this.#transactions += batch.length;
        } catch (error) {
          await sql`rollback`.execute(conn).catch(() => undefined);
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
  await sql`savepoint ns_tx`.execute(conn);
  try {
    const value = await item.fn(conn);
    await sql`release ns_tx`.execute(conn);
    return () => item.resolve(value);
  } catch (error) {
    // If SQLite already ended the whole transaction (disk full, I/O error), this throws and the batch fails as a whole.
    await sql`rollback to ns_tx`.execute(conn);
    await sql`release ns_tx`.execute(conn);
    return () => item.reject(error);
  }
}
