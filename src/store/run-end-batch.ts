/**
 * Records the ends of runs that end together in one transaction: one UPDATE for all of them
 * (microtask-batch.ts), so a claim round's runs that end at once (empty jobs, fast commands) share
 * one statement and a lone end is written at once.
 */
import { leaseLost } from '../errors.ts';
import { inTransaction, type Db } from './db.ts';
import { MicrotaskBatch } from './microtask-batch.ts';
import { finishRuns, type RunEnd } from './run-transitions.ts';
import type { RunRow } from './runs.ts';

export class RunEndBatch {
  readonly #batch: MicrotaskBatch<RunEnd, RunRow>;

  constructor(db: Db) {
    this.#batch = new MicrotaskBatch({
      write: async (ends) => new Map((await inTransaction(db, (x) => finishRuns(x, ends))).map((run) => [run.id, run])),
      key: (end) => end.runId,
      refused: (end) => leaseLost(end.runId, end.owner),
    });
  }

  /** Ends the run; rejects with NS_LEASE_LOST when its owner no longer holds it, exactly like finishRun. */
  finish(end: RunEnd): Promise<RunRow> {
    return this.#batch.add(end);
  }
}
