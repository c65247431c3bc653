import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { JobDefinition, Settings } from '../config/types.ts';
import type { EngineEvents } from '../events.ts';
import { Lifecycle, Waker } from '../lifecycle.ts';
import { cappedTimeout, type CappedTimer } from '../timers.ts';
import { advisoryLock, inTransaction, LOCK_KEYS, type Db, type Executor } from '../store/db.ts';
import { listJobs } from '../store/jobs.ts';
import { claimRunById, claimRuns, recoverExpiredLeases } from '../store/run-transitions.ts';
import type { RunRow } from '../store/runs.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { killOrphanedGroup } from './orphans.ts';
import { RunExecution, type ExecutionDeps } from './run-execution.ts';
import type { RunQueue } from '../store/run-queue.ts';

/** Recorded on each run this process claims. */
const HOST = hostname();

export interface WorkerPoolOptions {
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  nodeId: string;
  settings: Pick<Settings, 'concurrency' | 'trainThreads' | 'leaseMs' | 'heartbeatMs' | 'maxRecoveries' | 'killGraceMs' | 'logTailBytes' | 'pollMs' | 'shutdownGraceMs' | 'training' | 'jobNiceness' | 'launcher' | 'dataDir' | 'databaseUrl' | 'artifacts' | 'keepVersions' | 'keepChampions'>;
  /** Where runs are claimed, their ends recorded and reported. */
  queue: RunQueue;
}

/** Runs claimed in a transaction, holding their places until started after its COMMIT (or given back). */
export interface Claim {
  readonly runs: readonly RunRow[];
  readonly jobs: ReadonlyMap<string, JobDefinition>;
}

const NO_CLAIM: Claim = { runs: [], jobs: new Map() };

/**
 * Claims due runs up to the concurrency limit and executes each in a child process. The event loop
 * only waits on pipes and timers, so leases keep being renewed however heavy the jobs are.
 */
export class WorkerPool {
  readonly lifecycle: Lifecycle;
  readonly #o: WorkerPoolOptions;
  readonly #active = new Map<string, { execution: RunExecution; done: Promise<void> }>();
  /** Active runs whose work is over and whose end is being recorded: their places are free already. */
  readonly #ending = new Set<string>();
  readonly #waker = new Waker();
  readonly #queue: RunQueue;
  /** What every execution needs, shared by all of them. */
  readonly #deps: ExecutionDeps;
  /** Places taken by claims whose transaction has not committed yet (their runs are not active yet). */
  #reserved = 0;
  #loop: Promise<void> | null = null;
  #lastRecovery = 0;
  /** Train runs executing here: they share settings.trainThreads. */
  #trainings = 0;

  constructor(options: WorkerPoolOptions) {
    this.#o = options;
    this.#queue = options.queue;
    this.#deps = {
      ...options,
      owner: options.nodeId,
      // A place frees up when the work ends, so the next claim can share the COMMIT that records the end.
      onWorkEnded: (runId) => {
        this.#ending.add(runId);
        this.#waker.wake();
      },
      // The share is fixed when a training starts: a training that starts alone keeps every thread.
      trainingThreads: () => Math.max(1, Math.floor(options.settings.trainThreads / Math.max(1, this.#trainings))),
    };
    this.lifecycle = new Lifecycle('workers', options.events);
  }

  get activeCount(): number {
    return this.#active.size;
  }

  activeRunIds(): string[] {
    return [...this.#active.keys()];
  }

  /** Runs whose work is still going on (a process running, or about to start). */
  get #working(): number {
    return this.#active.size - this.#ending.size;
  }

  get #free(): number {
    return this.#o.settings.concurrency - this.#working - this.#reserved;
  }

  start(): void {
    if (this.lifecycle.state !== 'idle') return;
    this.lifecycle.to('running');
    this.#loop = this.#run();
  }

  /** Look for work now (a run was queued in this process). */
  wake(): void {
    this.#waker.wake();
  }

  /** Aborts a run executing here (cancel from this process); false when it is not ours. */
  abortLocal(runId: string, reason: 'cancel' | 'timeout'): boolean {
    const entry = this.#active.get(runId);
    entry?.execution.abort(reason);
    return entry !== undefined;
  }

  /** One claim round; public so tests can drive it without the loop. */
  async claimAndStart(): Promise<number> {
    await this.recoverLeases();
    if (this.#free <= 0 || !this.lifecycle.running) return 0;
    let claim = NO_CLAIM;
    try {
      await this.#queue.claim(async (x) => void (claim = await this.claimIn(x)));
    } catch (error) {
      this.release(claim);
      throw error;
    }
    this.startClaimed(claim);
    return claim.runs.length;
  }

  /**
   * Claims runs for this process's free places inside the caller's transaction (the scheduler's, for
   * the runs it has just queued: they start without waiting for a second COMMIT, as Temporal's eager
   * start does). The places stay taken until startClaimed() after the COMMIT, or release() if it failed.
   */
  async claimIn(x: Executor): Promise<Claim> {
    const { db, clock, settings, nodeId } = this.#o;
    // Counted when the transaction runs: places freed while it waited (runs whose end shares its COMMIT) count too.
    const limit = this.#free;
    if (limit <= 0 || !this.lifecycle.running) return NO_CLAIM;
    this.#reserved += limit;
    let kept = 0;
    try {
      await advisoryLock(x, db.dialect, LOCK_KEYS.claim);
      const runs = await claimRuns(x, ALL_TENANTS, { owner: nodeId, host: HOST, now: clock.now(), leaseMs: settings.leaseMs, limit });
      const claim = runs.length === 0 ? NO_CLAIM : { runs, jobs: new Map((await listJobs(x)).map((j) => [j.id, j])) };
      kept = runs.length;
      return claim;
    } finally {
      // An error here rolls the claim back (its savepoint or its transaction): every place is free again.
      this.#reserved -= limit - kept;
    }
  }

  /**
   * Claims one queued run by id and executes it here, whatever this pool's state, resolving once it
   * has ended: a CLI command runs the import it queued even when no service is running. False when
   * the run is not there to claim (another worker has it, or it is not due).
   */
  async executeNow(runId: string): Promise<boolean> {
    const { db, clock, settings, nodeId } = this.#o;
    let claim = NO_CLAIM;
    await inTransaction(db, async (x) => {
      await advisoryLock(x, db.dialect, LOCK_KEYS.claim);
      const runs = await claimRunById(x, runId, { owner: nodeId, host: HOST, now: clock.now(), leaseMs: settings.leaseMs });
      if (runs.length > 0) claim = { runs, jobs: new Map((await listJobs(x)).map((j) => [j.id, j])) };
    });
    if (claim.runs.length === 0) return false;
    this.#reserved += claim.runs.length;
    this.startClaimed(claim);
    await this.#active.get(runId)?.done;
    return true;
  }

  /** A claim's transaction did not commit: its places are free again and its runs were never taken. */
  release(claim: Claim): void {
    this.#reserved -= claim.runs.length;
  }

  /** Starts the runs of a committed claim. */
  startClaimed(claim: Claim): void {
    this.#reserved -= claim.runs.length;
    for (const run of claim.runs) {
      this.#o.events.emit('run:claimed', { run });
      const execution = new RunExecution(run, claim.jobs, this.#deps);
      const training = claim.jobs.get(run.job_id)?.kind === 'train';
      if (training) this.#trainings++;
      const done = execution
        .execute()
        .catch((error: unknown) => {
          this.#o.logger.error({ err: error, runId: run.id }, 'recording the end of a run failed; its lease will expire and it will be recovered');
          this.#o.events.emit('error', { where: 'worker', error });
        })
        .finally(() => {
          if (training) this.#trainings--;
          this.#active.delete(run.id);
          this.#ending.delete(run.id);
          this.#waker.wake();
        });
      this.#active.set(run.id, { execution, done });
    }
  }

  /** Requeues (or, past maxRecoveries, fails) runs whose worker vanished; at most once per heartbeat interval. */
  async recoverLeases(force = false): Promise<number> {
    const { db, clock, settings, events, logger } = this.#o;
    const now = clock.now();
    if (!force && now - this.#lastRecovery < settings.heartbeatMs) return 0;
    this.#lastRecovery = now;
    const killed = new Set<string>();
    const recovered = await inTransaction(
      db,
      (x) =>
        recoverExpiredLeases(x, ALL_TENANTS, {
          now,
          maxRecoveries: settings.maxRecoveries,
          executingHere: this.activeRunIds(),
          beforeRelease: (run) => (killOrphanedGroup(run) ? killed.add(run.id) : undefined),
        }),
      { lock: LOCK_KEYS.claim },
    );
    for (const { run, requeued, recoveries } of recovered) {
      logger.warn({ runId: run.id, previousOwner: run.lease_owner, requeued, recoveries, killedOrphan: killed.has(run.id) }, 'expired lease recovered');
      events.emit('run:recovered', { run, requeued });
    }
    return recovered.length;
  }

  async #run(): Promise<void> {
    const { logger, settings, events } = this.#o;
    while (this.lifecycle.running) {
      // Reports wait while this loop claims round after round; they are made once it rests.
      this.#queue.holdReports();
      let claimed = 0;
      try {
        claimed = await this.claimAndStart();
      } catch (error) {
        logger.error({ err: error }, 'claiming runs failed; retrying');
        events.emit('error', { where: 'workers', error });
      }
      if (!this.lifecycle.running) break;
      // More may be waiting when this round filled the pool's free places; otherwise poll.
      const more = claimed > 0 && this.#free > 0;
      if (!more) this.#queue.releaseReports();
      await this.#waker.wait(more ? 0 : settings.pollMs);
    }
    this.#queue.releaseReports();
  }

  /**
   * Stops claiming, lets running runs finish for up to graceMs, then aborts the rest: they go back
   * to queued (not failed) and the next start resumes them. Idempotent.
   */
  async close(graceMs = this.#o.settings.shutdownGraceMs): Promise<void> {
    if (this.lifecycle.state === 'stopped') return;
    this.lifecycle.to('draining');
    this.#waker.wake();
    await this.#loop;
    const all = () => Promise.all([...this.#active.values()].map((a) => a.done));
    if (this.#active.size > 0) {
      this.#o.logger.info({ running: this.#active.size, graceMs }, 'waiting for running runs before shutdown');
      let timer: CappedTimer | undefined;
      const expired = new Promise<'expired'>((resolve) => {
        timer = cappedTimeout(() => resolve('expired'), graceMs);
      });
      const outcome = await Promise.race([all().then(() => 'done' as const), expired]);
      timer?.clear();
      if (outcome === 'expired') {
        for (const { execution } of this.#active.values()) execution.abort('shutdown');
        await all();
      }
    }
    this.lifecycle.to('stopped');
  }
}
