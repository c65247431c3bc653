import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { EngineEvents } from '../events.ts';
import { Lifecycle, Waker } from '../lifecycle.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { listJobs } from '../store/jobs.ts';
import { pruneHistory, type PruneCounts } from '../store/history-retention.ts';
import { earliestDueAt, lockDueSchedules } from '../store/schedules.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { decideSlots, type DecidedSlot } from './decide-slots.ts';
import { logDecidedSlots } from './slot-log.ts';
import type { RunQueue } from '../store/run-queue.ts';

export interface SchedulerOptions {
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  nodeId: string;
  /** Longest sleep between looks at the store: other nodes may add or change schedules. */
  pollMs: number;
  /** Finished runs and decided slots older than this are pruned (hourly). */
  retentionMs: number;
  /** Schedules decided per transaction. */
  batchSize?: number;
  /** Where the runs of decided slots are queued, and the slots reported. */
  queue: RunQueue;
}

const PRUNE_EVERY_MS = 3_600_000;

export interface TickResult {
  decided: DecidedSlot[];
  fired: number;
}

const queued = (d: Pick<DecidedSlot, 'run'>) => d.run?.status === 'queued';

/**
 * The thin loop around the pure schedule math: wake at the earliest due time (never sleeping past
 * pollMs or 30 s), decide due slots in batches, one transaction per batch.
 */
export class Scheduler {
  readonly lifecycle: Lifecycle;
  readonly #o: Required<SchedulerOptions>;
  readonly #waker = new Waker();
  #loop: Promise<void> | null = null;
  #lastPrune = 0;

  constructor(options: SchedulerOptions) {
    this.#o = { batchSize: 500, ...options };
    this.lifecycle = new Lifecycle('scheduler', options.events);
  }

  start(): void {
    if (this.lifecycle.state !== 'idle') return;
    this.lifecycle.to('running');
    this.#loop = this.#run();
  }

  /** Look again now (a schedule was added or changed in this process). */
  wake(): void {
    this.#waker.wake();
  }

  async close(): Promise<void> {
    if (this.lifecycle.state === 'stopped') return;
    this.lifecycle.to('draining');
    this.#waker.wake();
    await this.#loop;
    this.lifecycle.to('stopped');
  }

  /** Decides every slot due at the clock's now. Public so tests drive it with a manual clock. */
  async tick(): Promise<TickResult> {
    const { db, clock, events, nodeId, batchSize, queue } = this.#o;
    const now = clock.now();
    const jobs = new Map((await listJobs(db.k)).map((j) => [j.id, j]));
    const decided: DecidedSlot[] = [];
    let fired = 0;
    for (;;) {
      // The slots are announced only once their transaction is durable.
      const batch = await queue.write(
        async (x) => {
          const rows = await lockDueSchedules(x, ALL_TENANTS, db.dialect, now, batchSize);
          return { rows: rows.length, slots: await decideSlots({ x, dialect: db.dialect, now, nodeId, jobs }, rows) };
        },
        (b) => b.slots.some(queued),
      );
      decided.push(...batch.slots);
      fired += batch.slots.filter(queued).length;
      const slots = batch.slots;
      const decidedAt = clock.now();
      queue.report(() => this.#announce(slots, decidedAt));
      if (batch.rows < batchSize) break;
    }
    const tick = { decided: decided.length, fired, at: now };
    queue.report(() => events.emit('scheduler:tick', tick));
    return { decided, fired };
  }

  /**
   * An event for each decided slot, and their log lines (slot-log.ts: one summary line for many
   * slots without a run); decidedAt: when their transaction was durable.
   */
  #announce(slots: readonly DecidedSlot[], decidedAt: number): void {
    const { events } = this.#o;
    for (const { slot, run } of slots) {
      events.emit('slot:decided', { scheduleId: slot.schedule_id, tenantId: slot.tenant_id, jobId: slot.job_id, slotAt: slot.slot_at, fate: slot.fate, reason: slot.reason, runId: slot.run_id, lateMs: slot.late_ms, decidedAt });
      if (run?.status === 'queued') events.emit('run:queued', { run });
    }
    logDecidedSlots(this.#o.logger, slots.map((d) => d.slot));
  }

  /** Applies the history retention policy; at most hourly unless forced. */
  async prune(force = false): Promise<PruneCounts | null> {
    const { db, clock, logger, retentionMs } = this.#o;
    const now = clock.now();
    if (!force && now - this.#lastPrune < PRUNE_EVERY_MS) return null;
    this.#lastPrune = now;
    const counts = await inTransaction(db, (x) => pruneHistory(x, ALL_TENANTS, now - retentionMs));
    if (counts.runs + counts.slots > 0) logger.info({ ...counts, retentionMs }, 'history pruned');
    return counts;
  }

  async #run(): Promise<void> {
    const { db, clock, logger, pollMs, events } = this.#o;
    while (this.lifecycle.running) {
      let delay = pollMs;
      try {
        await this.tick();
        await this.prune();
        const due = await earliestDueAt(db.k, ALL_TENANTS);
        if (due !== null) delay = Math.min(pollMs, Math.max(0, due - clock.now()));
      } catch (error) {
        logger.error({ err: error }, 'scheduler tick failed; retrying');
        events.emit('error', { where: 'scheduler', error });
      }
      if (!this.lifecycle.running) break;
      await this.#waker.wait(delay);
    }
  }
}
