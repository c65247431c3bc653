/**
 * The composition root: opens the store, builds the scheduler, the worker pool and the services
 * from the dependencies each one uses, starts the loops and closes everything in reverse order.
 * It does no business of its own: routes, the CLI and monitoring are handed the services they call
 * (`Services`), never the engine or the store.
 */
import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { Settings } from './config/types.ts';
import { EngineEvents } from './events.ts';
import { WorkerPool } from './runs/worker-pool.ts';
import { RunQueue } from './store/run-queue.ts';
import { ModelService } from './models/model-service.ts';
import { createArtifactStorage } from './registry/index.ts';
import { syncDefinitions, type SyncSummary } from './scheduler/schedule-sync.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { DataService } from './services/data-service.ts';
import { HealthService } from './services/health-service.ts';
import { JobService } from './services/job-service.ts';
import { RunService } from './services/run-service.ts';
import { ScheduleService } from './services/schedule-service.ts';
import type { Services } from './services/services.ts';
import { TenantService } from './services/tenant-service.ts';
import { openDb, type Db } from './store/db.ts';
import { migrate } from './store/migrate.ts';

export interface EngineOptions {
  settings: Settings;
  clock?: Clock;
  logger?: Logger;
  /** Write the declared tenants, jobs and schedules to the store on open (default true); read-only callers say false. */
  syncDefinitions?: boolean;
}

export class Engine implements Services {
  readonly events = new EngineEvents();
  readonly clock: Clock;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly workers: WorkerPool;
  readonly tenants: TenantService;
  readonly jobs: JobService;
  readonly schedules: ScheduleService;
  readonly runs: RunService;
  readonly data: DataService;
  /** Declared models, training on demand, registry, rollback and predictions. */
  readonly models: ModelService;
  readonly health: HealthService;
  /** Where the scheduler queues runs and the workers take them. */
  readonly queue: RunQueue;
  #closed = false;

  private constructor(
    readonly settings: Settings,
    /** For the loops built here and for tests that inspect the store; services hold their own reference. */
    readonly db: Db,
    options: EngineOptions,
    readonly sync: SyncSummary,
  ) {
    const clock = (this.clock = options.clock ?? systemClock);
    const logger = (this.logger = options.logger ?? pino({ level: settings.logLevel }));
    const events = this.events;
    // One queue for both: the scheduler queues runs, the workers take them (store/run-queue.ts).
    const queue = (this.queue = new RunQueue(db, { logger }));
    const common = { db, clock, events, logger, nodeId: settings.nodeId, queue };
    this.scheduler = new Scheduler({ ...common, pollMs: settings.pollMs, retentionMs: settings.historyRetentionDays * 86_400_000 });
    this.workers = new WorkerPool({ ...common, settings });
    // A run queued in this process should not wait for the next poll.
    events.on('run:queued', () => this.workers.wake());

    this.tenants = new TenantService({ db, clock, defaultTimezone: settings.timezone });
    this.jobs = new JobService({ db, clock });
    this.schedules = new ScheduleService({ db, clock, logger, jobs: this.jobs, tenants: this.tenants, wakeScheduler: () => this.scheduler.wake() });
    this.runs = new RunService({ db, clock, events, logger, jobs: this.jobs, tenants: this.tenants, abortLocal: (runId) => this.workers.abortLocal(runId, 'cancel'), executeNow: (runId) => this.workers.executeNow(runId) });
    this.models = new ModelService({
      db,
      clock,
      events,
      logger,
      tenants: this.tenants,
      runs: this.runs,
      training: settings.training,
      misfireGraceMs: settings.misfireGraceMs,
      schedules: this.schedules,
      artifacts: createArtifactStorage(settings, db),
      cacheMaxBytes: settings.modelCacheMb * 1_048_576,
      historySamples: settings.historyCacheSamples,
    });
    // Every write of samples through the data service reaches serving's history cache.
    this.data = new DataService({ db, clock, logger, maxSkewMs: settings.ingestMaxSkewMs, samples: this.models.recentSamples });
    const workers = this.workers;
    const scheduler = this.scheduler;
    this.health = new HealthService({
      db,
      nodeId: settings.nodeId,
      concurrency: settings.concurrency,
      probes: {
        schedulerState: () => scheduler.lifecycle.state,
        workersState: () => workers.lifecycle.state,
        running: () => workers.activeCount,
        modelCache: () => this.models.cache.stats(),
        historyCache: () => this.models.recentSamples.stats(),
      },
    });
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
    if (options.scheduler !== false && options.workers !== false) this.queue.attachClaimer(this.workers);
    this.logger.info(
      { store: this.db.dialect, location: this.db.location, node: this.settings.nodeId, concurrency: this.settings.concurrency, schedules: this.sync.schedules },
      'nightshift engine started',
    );
  }

  /** Stops firing and claiming at once, and drains the workers (requeueing what outlives the grace). */
  async drain(graceMs = this.settings.shutdownGraceMs): Promise<void> {
    await Promise.all([this.scheduler.close(), this.workers.close(graceMs)]);
  }

  /** Ordered shutdown: stop firing, drain workers (requeueing what outlives the grace), close the store. */
  async close(graceMs = this.settings.shutdownGraceMs): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Both stop at once: no slot fires and no run is claimed from here on, even while a tick finishes.
    await this.drain(graceMs);
    // Every report is made before close() returns (the workers' loop has let go of them already).
    this.queue.releaseReports();
    await this.models.close();
    await this.db.close();
    this.logger.info('nightshift engine stopped');
  }
}
