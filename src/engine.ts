/**
 * The composition root: opens the store, builds the scheduler, the worker pool and the services
 * from the dependencies each one uses, starts the loops and closes everything in reverse order.
 * It does no business of its own: routes, the CLI and monitoring are handed the services they call
 * (`Services`), never the engine or the store.
 */
import { KeyService } from './services/key-service.ts';
import { RateLimitService } from './services/rate-limit-service.ts';
import { existsSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import { redactUrl } from './config/load-settings.ts';
import { MASTER_KEY_ENV, masterKeyEnv } from './config/master-key-env.ts';
import { keyFileOf } from './crypto/master-key.ts';
import type { Settings } from './config/types.ts';
import { NsError } from './errors.ts';
import { EngineEvents } from './events.ts';
import { WorkerPool } from './runs/worker-pool.ts';
import { RunQueue } from './store/run-queue.ts';
import { ModelService } from './models/model-service.ts';
import { PREDICTION_LOG_DEFAULTS } from './models/prediction-logger.ts';
import { createArtifactStorage } from './registry/index.ts';
import { syncDefinitions, type SyncSummary } from './scheduler/schedule-sync.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { AuditService } from './services/audit-service.ts';
import { DataService } from './services/data-service.ts';
import { MasterKeyService } from './services/master-key-service.ts';
import { HealthService, warnWithoutWal } from './services/health-service.ts';
import { JobService } from './services/job-service.ts';
import { RunService } from './services/run-service.ts';
import { ScheduleService } from './services/schedule-service.ts';
import type { Services } from './services/services.ts';
import { TenantService } from './services/tenant-service.ts';
import { PolicyTrigger } from './services/policy-trigger.ts';
import { NotificationService } from './monitor/notify/notification-service.ts';
import { sealedChannelConfig } from './monitor/notify/channel-config-codec.ts';
import { sealerFor } from './crypto/keyring-for.ts';
import { MonitorService } from './services/monitor-service.ts';
import { SeriesService } from './services/series-service.ts';
import { openDb, sqliteFileIn, SQLITE_FILE, type Db } from './store/db.ts';
import { migrate, SCHEMA_VERSION, schemaState } from './store/migrate.ts';

export interface EngineOptions {
  settings: Settings;
  clock?: Clock;
  logger?: Logger;
  /** Write the declared tenants, jobs and schedules to the store on open (default true); read-only callers say false. */
  syncDefinitions?: boolean;
  /**
   * `create` (default): create the store if absent and apply pending migrations. `existing`: open
   * only a store that exists and is up to date (a mistyped NIGHTSHIFT_DATA_DIR is refused, never
   * created), write nothing on open: no migration, no declarations.
   */
  store?: 'create' | 'existing';
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
  /** Notification channels, the outbox and its delivery (webhook, MQTT, log). */
  readonly notifications: NotificationService;
  /** Alerts: evaluated every TRAINING_MONITOR_INTERVAL and on the events that can raise them; metric series and trends. */
  readonly monitor: MonitorService;
  /** Metric series and trends per model, per tenant and across tenants. */
  readonly series: SeriesService;
  readonly keys: KeyService;
  readonly rateLimits: RateLimitService;
  /** Who changed what: every service records its changes here; trainings and alerts too. */
  readonly audit: AuditService;
  readonly masterKey: MasterKeyService;
  /** Queues policy runs after ingests (training triggered by arriving data). */
  readonly policy: PolicyTrigger;
  /** Where the scheduler queues runs and the workers take them. */
  readonly queue: RunQueue;
  #closed = false;
  readonly #unwatchAudit: () => void;

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
    warnWithoutWal(db, logger);
    // One queue for both: the scheduler queues runs, the workers take them (store/run-queue.ts).
    const queue = (this.queue = new RunQueue(db, { logger }));
    const common = { db, clock, events, logger, nodeId: settings.nodeId, queue };
    this.scheduler = new Scheduler({ ...common, pollMs: settings.pollMs, retentionMs: settings.historyRetentionDays * 86_400_000 });
    this.workers = new WorkerPool({ ...common, settings });
    // A run queued in this process should not wait for the next poll.
    events.on('run:queued', () => this.workers.wake());

    const artifacts = createArtifactStorage(settings, db);
    if (db.dialect === 'postgres' && masterKeyEnv().current === null) {
      // Each node would generate a key file of its own, and none could read what another encrypted.
      logger.warn({ keyFile: keyFileOf(settings.dataDir) }, `artifacts are encrypted with this node's key file; on PostgreSQL with several nodes set the same ${MASTER_KEY_ENV} on every node`);
    }
    const audit = (this.audit = new AuditService({ db, clock, logger }));
    this.#unwatchAudit = audit.watch(events);
    this.masterKey = new MasterKeyService({ db, settings, audit });
    this.tenants = new TenantService({ db, clock, logger, events, defaultTimezone: settings.timezone, declared: new Set(settings.tenants.map((t) => t.id)), artifacts, audit });
    this.jobs = new JobService({ db, clock });
    this.keys = new KeyService({ db, clock, logger, tenants: this.tenants, audit });
    this.rateLimits = new RateLimitService({ db, clock });
    this.schedules = new ScheduleService({ db, clock, logger, jobs: this.jobs, tenants: this.tenants, wakeScheduler: () => this.scheduler.wake(), audit });
    this.runs = new RunService({ db, clock, events, logger, jobs: this.jobs, tenants: this.tenants, audit, abortLocal: (runId) => this.workers.abortLocal(runId, 'cancel'), executeNow: (runId) => this.workers.executeNow(runId) });
    this.models = new ModelService({
      db,
      audit,
      clock,
      events,
      logger,
      tenants: this.tenants,
      runs: this.runs,
      training: settings.training,
      misfireGraceMs: settings.misfireGraceMs,
      schedules: this.schedules,
      artifacts,
      predictionLog: { ...PREDICTION_LOG_DEFAULTS, ...settings.predictionLog },
      retention: { keepVersions: settings.keepVersions, keepChampions: settings.keepChampions },
      cacheMaxBytes: settings.modelCacheMb * 1_048_576,
      historySamples: settings.historyCacheSamples,
    });
    // Every write of samples through the data service reaches serving's history cache.
    this.data = new DataService({ db, clock, logger, events, audit, maxSkewMs: settings.ingestMaxSkewMs, samples: this.models.recentSamples });
    this.notifications = new NotificationService({
      db,
      clock,
      events,
      logger,
      nodeId: settings.nodeId,
      settings: settings.notifications,
      requireTenant: (tenantId) => this.tenants.require(tenantId, 'tenantId'),
      audit,
      // Channel settings hold secrets: sealed with the master key, as artifacts are encrypted.
      configCodec: sealedChannelConfig(sealerFor(settings)),
      // Delivery in a thread of its own, off the API's event loop; it keeps the system's time, so an
      // engine on an injected clock delivers on its own loop.
      thread: clock === systemClock ? { store: { dataDir: settings.dataDir, databaseUrl: settings.databaseUrl }, sealed: true } : undefined,
    });
    this.policy = new PolicyTrigger({ events, models: this.models, runs: this.runs, logger, debounceMs: settings.policyDebounceMs });
    this.monitor = new MonitorService({ db, clock, events, logger, settings: settings.monitor, models: this.models, audit, cacheEvents: this.models.cache.events });
    this.series = new SeriesService({ db, clock, settings: settings.monitor, models: this.models });
    const workers = this.workers;
    const scheduler = this.scheduler;
    this.health = new HealthService({
      db,
      nodeId: settings.nodeId,
      concurrency: settings.concurrency,
      serving: this.models.cache,
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
    const existing = options.store === 'existing';
    if (existing && !settings.databaseUrl && !existsSync(sqliteFileIn(settings.dataDir))) throw noStore(settings, `no ${SQLITE_FILE}`);
    const db = await openDb({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl, create: !existing });
    try {
      if (existing) await requireCurrentSchema(db, settings);
      else await migrate(db);
      const sync =
        options.syncDefinitions === false || existing
          ? { tenants: 0, jobs: 0, schedules: { created: 0, updated: 0, unchanged: 0 } }
          : await syncDefinitions(db, settings, (options.clock ?? systemClock).now());
      const engine = new Engine(settings, db, options, sync);
      if (options.syncDefinitions !== false && !existing) await engine.notifications.syncDeclared(settings.tenants.map((t) => t.id));
      return engine;
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  start(options: { scheduler?: boolean; workers?: boolean; notifications?: boolean; monitor?: boolean } = {}): void {
    if (options.scheduler !== false) this.scheduler.start();
    if (options.monitor !== false) this.monitor.start();
    if (options.workers !== false) this.workers.start();
    if (options.notifications !== false) this.notifications.start();
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
    await this.policy.close();
    await this.monitor.close();
    // After the workers: the ends of the runs they finished are written to the outbox first.
    await this.notifications.close();
    // Every report is made before close() returns (the workers' loop has let go of them already).
    this.queue.releaseReports();
    await this.models.close();
    this.#unwatchAudit();
    await this.db.close();
    this.logger.info('nightshift engine stopped');
  }
}

/** The setting that points at a store holding no nightshift store, named with its value and the fix. */
function noStore(settings: Settings, what: string): NsError {
  const message = settings.databaseUrl
    ? `DATABASE_URL=${redactUrl(settings.databaseUrl)}: no nightshift store there (${what}); check the URL and its search_path, or start \`nightshift serve\` once to create one`
    : `NIGHTSHIFT_DATA_DIR=${settings.dataDir}: no nightshift store there (${what}); check the path (the config file's dataDir sets it too, default ./data), or start \`nightshift serve\` once to create one`;
  const field = settings.databaseUrl ? 'DATABASE_URL' : 'NIGHTSHIFT_DATA_DIR';
  return new NsError('NS_CONFIG_INVALID', message, { field });
}

/** An `existing` open reads a store as it is: one this code cannot read without migrating is refused, not upgraded. */
async function requireCurrentSchema(db: Db, settings: Settings): Promise<void> {
  const state = await schemaState(db);
  if (!state) throw noStore(settings, settings.databaseUrl ? 'no ns_migrations table' : `${SQLITE_FILE} holds no nightshift tables`);
  if (state.pending.length > 0) {
    throw new NsError(
      'NS_STORE',
      `the store at ${db.location} has schema version ${state.version}; this nightshift needs ${SCHEMA_VERSION}: start \`nightshift serve\` once to upgrade it (commands that only read never change the store)`,
      { details: { version: state.version, pending: state.pending } },
    );
  }
}
