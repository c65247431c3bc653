/**
 * Records the pids of processes that start together in one statement, as run-end-batch.ts does for
 * the ends of runs. The launcher reports the starts of one turn in one message, so a claim round's
 * processes are answered together; their pids are gathered until that turn's callbacks have run (a
 * microtask) and written through the commit queue, where they share a COMMIT with what else is due.
 */
import { leaseLost } from '../errors.ts';
import { inStatement, type Db } from './db.ts';
import { recordPids, type PidRecord } from './run-transitions.ts';

interface Waiting {
  record: PidRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class RunPidBatch {
  readonly #db: Db;
  #waiting: Waiting[] = [];

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records the pid; rejects with NS_LEASE_LOST when its owner no longer holds the run, exactly like recordPid. */
  record(record: PidRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#waiting.push({ record, resolve, reject }) === 1) queueMicrotask(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting;
    this.#waiting = [];
    let written: Set<string>;
    try {
      written = await inStatement(this.#db, (x) => recordPids(x, batch.map((w) => w.record)));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const { record, resolve, reject } of batch) {
      if (written.has(record.runId)) resolve();
      else reject(leaseLost(record.runId, record.owner));
    }
  }
}
