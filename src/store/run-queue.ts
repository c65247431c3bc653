/**
 * The run queue as the scheduler and the workers use it: a transaction that queues runs, a claim
 * round, a run's end, and reports about them. The plumbing that makes these fast stays here, out of
 * their sight:
 *  - the runs a transaction queues are taken in that same transaction by this process's workers, up
 *    to their free places (like Temporal's eager start): the scheduler inserts runs and never knows
 *    who takes them;
 *  - a claim is answered once its COMMIT is visible, before it is on disk (db.ts says why losing a
 *    claim to a power failure is harmless), and transactions share COMMITs (group-commit.ts);
 *  - the ends of runs that end together are written in one statement (run-end-batch.ts), and so are
 *    the pids of processes that start together (run-pid-batch.ts);
 *  - reports (events, log lines) about slots and runs wait while claim rounds follow each other
 *    (report-queue.ts).
 */
import type { Logger } from 'pino';
import { inTransaction, type Db, type Executor } from './db.ts';
import { ReportQueue } from './report-queue.ts';
import { RunEndBatch } from './run-end-batch.ts';
import { RunPidBatch } from './run-pid-batch.ts';
import type { PidRecord, RunEnd } from './run-transitions.ts';
import type { RunRow } from './runs.ts';

/**
 * Workers of this process that take runs inside a transaction that queued them: claimIn runs there,
 * startClaimed after its COMMIT is visible, release if it did not commit.
 */
export interface EagerClaimer<C> {
  claimIn(x: Executor): Promise<C>;
  startClaimed(claim: C): void;
  release(claim: C): void;
}

export class RunQueue {
  readonly #db: Db;
  readonly #ends: RunEndBatch;
  readonly #pids: RunPidBatch;
  readonly #reports: ReportQueue;
  #claimer: EagerClaimer<unknown> | null = null;

  constructor(db: Db, options: { logger: Logger; onReportError?: (error: unknown) => void; reportMaxDelayMs?: number }) {
    this.#db = db;
    this.#ends = new RunEndBatch(db);
    this.#pids = new RunPidBatch(db);
    const onError = options.onReportError ?? ((error: unknown) => options.logger.error({ err: error }, 'reporting failed'));
    this.#reports = new ReportQueue(onError, options.reportMaxDelayMs);
  }

  /** This process's workers, once they run alongside the scheduler; null: every queued run waits for a claim round. */
  attachClaimer<C>(claimer: EagerClaimer<C> | null): void {
    this.#claimer = claimer as EagerClaimer<unknown> | null;
  }

  /**
   * One write transaction that may queue runs. When `queued(value)` says it did, the attached workers
   * claim in it; the claimed runs start once the COMMIT is visible, and their places are given back
   * if it fails. The caller is answered once the transaction is durable.
   */
  async write<T>(fn: (x: Executor) => Promise<T>, queued: (value: T) => boolean): Promise<T> {
    const claimer = this.#claimer;
    let claim: unknown = null;
    let started = false;
    try {
      return await inTransaction(
        this.#db,
        async (x) => {
          const value = await fn(x);
          if (claimer && queued(value)) claim = await claimer.claimIn(x);
          return value;
        },
        {
          onVisible: () => {
            if (claim === null) return;
            started = true;
            claimer?.startClaimed(claim);
          },
        },
      );
    } catch (error) {
      if (claim !== null && !started) claimer?.release(claim);
      throw error;
    }
  }

  /** A claim round's transaction, answered once visible. */
  claim<T>(fn: (x: Executor) => Promise<T>): Promise<T> {
    return inTransaction(this.#db, fn, { durability: 'visible' });
  }

  /** Ends a running run, batched with the runs ending at the same time; NS_LEASE_LOST when its owner no longer holds it. */
  finish(end: RunEnd): Promise<RunRow> {
    return this.#ends.finish(end);
  }

  /** Records a started process's pid, batched with the processes starting at the same time; NS_LEASE_LOST as finish. */
  recordPid(record: PidRecord): Promise<void> {
    return this.#pids.record(record);
  }

  /** Makes the report now, or once the claim rounds in progress are done. */
  report(make: () => void): void {
    this.#reports.report(make);
  }

  /** Claim rounds follow each other from now on: reports wait. */
  holdReports(): void {
    this.#reports.hold();
  }

  /** The claim rounds rest: waiting reports are made, and new ones at once. */
  releaseReports(): void {
    this.#reports.release();
  }
}
