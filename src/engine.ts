/**
 * The run engine as one object: store, scheduler and worker pool, plus the operations the CLI and
 * the API share (trigger, cancel, run details). Builds nothing it does not own; closes in reverse.
 */
import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { ScheduleDefinition, Settings, TenantDefinition } from './config/types.ts';
import { NsError, notFound } from './errors.ts';
import { EngineEvents } from './events.ts';
import { newId } from './ids.ts';
import { estimateCompletion } from './runs/eta.ts';
import { WorkerPool } from './runs/worker-pool.ts';
import { ReportQueue } from './report-queue.ts';
import { ModelService } from './models/model-service.ts';
import { syncDefinitions, upsertScheduleDefinition, type ScheduleUpsertResult, type SyncSummary } from './scheduler/schedule-sync.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { inTransaction, LOCK_KEYS, lockRunKey, openDb, type Db } from './store/db.ts';
import { getJob } from './store/jobs.ts';
import { migrate } from './store/migrate.ts';
import { requestCancel, type CancelResult } from './store/run-transitions.ts';
import { activeRunsByKey, getRunRow, insertRuns, recentSuccessDurations, runKey, runValues, type RunRow } from './store/runs.ts';
import { deleteSchedule, getScheduleRow, setScheduleEnabled, type ScheduleRow } from './store/schedules.ts';
import type { TenantScope } from './store/tenant-scope.ts';
import { getTenant, upsertTenant } from './store/tenants.ts';

export interface EngineOptions {
  settings: Settings;
  clock?: Clock;
  logger?: Logger;
  /** Start the scheduler loop (default true). */
  scheduler?: boolean;
  /** Start the worker pool (default true). */
  workers?: boolean;
  /** Write the declared tenants, jobs and schedules to the store on open (default true); read-only callers say false. */
  syncDefinitions?: boolean;
}

export interface TriggerOptions {
  /** `now`: refuse when the (tenant, job) already has a run in flight; `queue`: queue behind it. */
  mode?: 'now' | 'queue';
  /** Not before this instant. */
  at?: number;
  params?: Record<string, unknown>;
}

export interface RunView extends RunRow {
  eta: number | null;
}

export class Engine {
  readonly events = new EngineEvents();
  readonly clock: Clock;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly workers: WorkerPool;
  /** Declared models, training on demand, registry, rollback and predictions. */
  readonly models: ModelService;
  #closed = false;
  readonly #reports: ReportQueue;

  private constructor(
    readonly settings: Settings,
    readonly db: Db,
    options: EngineOptions,
    readonly sync: SyncSummary,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? pino({ level: settings.logLevel });
    // One queue for both: slot and run reports wait while the workers claim (report-queue.ts).
    const reports = (this.#reports = new ReportQueue((error) => this.logger.error({ err: error }, 'reporting failed')));
    const common = { db, clock: this.clock, events: this.events, logger: this.logger, nodeId: settings.nodeId, reports };
    this.scheduler = new Scheduler({ ...common, pollMs: settings.pollMs, retentionMs: settings.historyRetentionDays * 86_400_000 });
    this.workers = new WorkerPool({ ...common, settings });
    // A run queued in this process should not wait for the next poll.
    this.events.on('run:queued', () => this.workers.wake());
    this.models = new ModelService(this);
  }

  /** Opens the store, applies migrations and writes the declared tenants, jobs and schedules. */
  static async open(options: EngineOptions): Promise<Engine> {
    const { settings } = options;
    const db = await openDb({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl });
    try {
      await migrate(db);
      const sync =
        options.syncDefinitions === false
          ? { tenants: 0, jobs: 0, schedules: { created: 0, updated: 0, unchanged: 0 } }
          : await syncDefinitions(db, settings, (options.clock ?? systemClock).now());
      return new Engine(settings, db, options, sync);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  start(options: { scheduler?: boolean; workers?: boolean } = {}): void {
    if (options.scheduler !== false) this.scheduler.start();
    if (options.workers !== false) this.workers.start();
    // The runs a slot queues start in the scheduler's own transaction when workers here have room.
    if (options.scheduler !== false && options.workers !== false) this.scheduler.claimEagerly(this.workers);
    this.logger.info(
      { store: this.db.dialect, location: this.db.location, node: this.settings.nodeId, concurrency: this.settings.concurrency, schedules: this.sync.schedules },
      'nightshift engine started',
    );
  }

  async trigger(jobId: string, tenantId: string, options: TriggerOptions = {}): Promise<RunView> {
    const now = this.clock.now();
    const job = await getJob(this.db.k, jobId);
    if (!job) throw notFound('job', jobId);
    if (!(await getTenant(this.db.k, tenantId))) throw notFound('tenant', tenantId);
    if (job.tenants !== null && !job.tenants.includes(tenantId)) {
      throw new NsError('NS_VALIDATION', `job "${jobId}" does not run for tenant "${tenantId}" (its tenants: ${job.tenants.join(', ')})`, { field: 'tenantId' });
    }
    const mode = options.mode ?? 'now';
    const run = await inTransaction(this.db, async (x) => {
      await lockRunKey(x, this.db.dialect, tenantId, jobId);
      const active = (await activeRunsByKey(x, [{ tenantId, jobId }])).get(runKey(tenantId, jobId)) ?? [];
      const queued = active.find((r) => r.status === 'queued');
      const inFlight = active.find((r) => r.status === 'running') ?? queued;
      if (mode === 'queue' && queued) {
        throw new NsError('NS_CONFLICT', `job "${jobId}" already has run ${queued.id} waiting for tenant "${tenantId}"; only one run may wait behind a running one`, {
          field: 'jobId',
          details: { runId: queued.id, status: queued.status },
        });
      }
      if (mode === 'now' && inFlight) {
        throw new NsError('NS_CONFLICT', `job "${jobId}" already has run ${inFlight.id} ${inFlight.status} for tenant "${tenantId}"; use mode "queue" (CLI: --queue) to run after it`, {
          field: 'jobId',
          details: { runId: inFlight.id, status: inFlight.status },
        });
      }
      const row = runValues({
        id: newId('run', now),
        tenantId,
        jobId,
        trigger: 'manual',
        status: 'queued',
        maxAttempts: job.retry.attempts,
        timeoutMs: job.timeoutMs,
        runAt: Math.max(now, options.at ?? now),
        now,
        params: options.params ?? null,
      });
      await insertRuns(x, [row]);
      return row;
    });
    this.logger.info({ runId: run.id, jobId, tenantId, mode, at: run.run_at }, 'run triggered');
    this.events.emit('run:queued', { run });
    return this.withEta(run);
  }

  /** Another tenant's run is not found. Without a reason, "cancelled on request" is recorded. */
  async cancel(runId: string, reason: string | undefined, scope: TenantScope): Promise<CancelResult> {
    const result = await inTransaction(this.db, (x) => requestCancel(x, scope, runId, this.clock.now(), reason ?? 'cancelled on request'));
    if (result === 'requested') this.workers.abortLocal(runId, 'cancel');
    this.logger.info({ runId, result }, 'cancel requested');
    return result;
  }

  /** Another tenant's run is not found: the store is asked for it within the scope (isolation, not filtering). */
  async getRun(runId: string, scope: TenantScope): Promise<RunView> {
    const run = await getRunRow(this.db.k, scope, runId);
    if (!run) throw notFound('run', runId);
    return this.withEta(run);
  }

  async withEta(run: RunRow): Promise<RunView> {
    if (run.status !== 'queued' && run.status !== 'running') return { ...run, eta: null };
    const durations = await recentSuccessDurations(this.db.k, run.tenant_id, run.job_id);
    return { ...run, eta: estimateCompletion(run, durations, this.clock.now()) };
  }

  async upsertSchedule(def: ScheduleDefinition): Promise<{ result: ScheduleUpsertResult; schedule: ScheduleRow }> {
    const job = await getJob(this.db.k, def.jobId);
    if (!job) throw notFound('job', def.jobId);
    if (!(await getTenant(this.db.k, def.tenantId))) throw notFound('tenant', def.tenantId);
    if (job.tenants !== null && !job.tenants.includes(def.tenantId)) {
      throw new NsError('NS_VALIDATION', `job "${def.jobId}" does not run for tenant "${def.tenantId}" (its tenants: ${job.tenants.join(', ')})`, { field: 'tenantId' });
    }
    const now = this.clock.now();
    const result = await inTransaction(this.db, (x) => upsertScheduleDefinition(x, def, now, 'api'), { lock: LOCK_KEYS.sync });
    this.scheduler.wake();
    const schedule = await getScheduleRow(this.db.k, def.tenantId, def.id);
    this.logger.info({ scheduleId: def.id, result }, 'schedule upserted');
    return { result, schedule: schedule! };
  }

  /** Another tenant's schedule is not found, and stays as it was. */
  async deleteSchedule(id: string, scope: TenantScope): Promise<void> {
    if (!(await inTransaction(this.db, (x) => deleteSchedule(x, scope, id, this.clock.now())))) throw notFound('schedule', id);
    this.logger.info({ scheduleId: id }, 'schedule deleted');
  }

  async setScheduleEnabled(id: string, enabled: boolean, scope: TenantScope): Promise<ScheduleRow> {
    if (!(await inTransaction(this.db, (x) => setScheduleEnabled(x, scope, id, enabled, this.clock.now())))) throw notFound('schedule', id);
    this.scheduler.wake();
    return (await getScheduleRow(this.db.k, scope, id))!;
  }

  async createTenant(tenant: TenantDefinition): Promise<void> {
    await inTransaction(this.db, (x) => upsertTenant(x, tenant, this.clock.now()));
  }

  /** Ordered shutdown: stop firing, drain workers (requeueing what outlives the grace), close the store. */
  async close(graceMs = this.settings.shutdownGraceMs): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Both stop at once: no slot fires and no run is claimed from here on, even while a tick finishes.
    await Promise.all([this.scheduler.close(), this.workers.close(graceMs)]);
    // Every report is made before close() returns (the workers' loop has let go of them already).
    this.#reports.release();
    await this.models.close();
    await this.db.close();
    this.logger.info('nightshift engine stopped');
  }
}
