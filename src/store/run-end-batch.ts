/**
 * Records the ends of runs that end together in one transaction: one UPDATE for all of them, as the
 * best job queues complete their jobs in batches. Ends are gathered until the current turn of the
 * event loop has run its callbacks (a microtask), so batching adds no waiting: a lone end is written
 * at once, and a claim round's runs that end at once (empty jobs, fast commands) share one statement.
 */
import { leaseLost } from '../errors.ts';
import { inTransaction, type Db } from './db.ts';
import { finishRuns, type RunEnd } from './run-transitions.ts';
import type { RunRow } from './runs.ts';

interface Waiting {
  end: RunEnd;
  resolve: (run: RunRow) => void;
  reject: (error: unknown) => void;
}

export class RunEndBatch {
  readonly #db: Db;
  #waiting: Waiting[] = [];

  constructor(db: Db) {
    this.#db = db;
  }

  /** Ends the run; rejects with NS_LEASE_LOST when its owner no longer holds it, exactly like finishRun. */
  finish(end: RunEnd): Promise<RunRow> {
    return new Promise<RunRow>((resolve, reject) => {
      if (this.#waiting.push({ end, resolve, reject }) === 1) queueMicrotask(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting;
    this.#waiting = [];
    let ended: Map<string, RunRow>;
    try {
      ended = new Map((await inTransaction(this.#db, (x) => finishRuns(x, batch.map((w) => w.end)))).map((run) => [run.id, run]));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const { end, resolve, reject } of batch) {
      const run = ended.get(end.runId);
      if (run) resolve(run);
      else reject(leaseLost(end.runId, end.owner));
    }
  }
}
