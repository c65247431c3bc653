/**
 * Records the pids of processes that start together in one statement, as run-end-batch.ts does for
 * the ends of runs (microtask-batch.ts). The launcher reports the starts of one turn in one message,
 * so a claim round's processes are answered together and written through the commit queue, where
 * they share a COMMIT with what else is due.
 */
import { leaseLost } from '../errors.ts';
import { inStatement, type Db } from './db.ts';
import { MicrotaskBatch } from './microtask-batch.ts';
import { recordPids, type PidRecord } from './run-transitions.ts';

export class RunPidBatch {
  readonly #batch: MicrotaskBatch<PidRecord, true>;

  constructor(db: Db) {
    this.#batch = new MicrotaskBatch({
      write: async (records) => new Map([...(await inStatement(db, (x) => recordPids(x, records)))].map((runId) => [runId, true as const])),
      key: (record) => record.runId,
      refused: (record) => leaseLost(record.runId, record.owner),
    });
  }

  /** Records the pid; rejects with NS_LEASE_LOST when its owner no longer holds the run, exactly like recordPid. */
  async record(record: PidRecord): Promise<void> {
    await this.#batch.add(record);
  }
}
