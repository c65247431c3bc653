/**
 * Notifications per tenant: its channels (declared in the config file or created over the API),
 * the outbox every notification is written to before delivery, its delivery history, and the
 * worker that delivers it. Routes, the CLI and /metrics call this service, never the store.
 *
 * Events are turned into outbox rows as they happen, in every process that has the engine open
 * (the CLI's rollback included); only a started service delivers them, in a worker thread of its
 * own when it is given the store's location (`thread`), else on this event loop.
 */
import { randomHex } from '../../ids.ts';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { NotificationSettings } from '../../config/types.ts';
import { NsError } from '../../errors.ts';
import type { EngineEvents } from '../../events.ts';
import { NO_AUDIT, type AuditRecorder } from '../../services/audit-service.ts';
import { PLAIN_CHANNEL_CONFIG, type ChannelConfigCodec } from './channel-config-codec.ts';
import { inTransaction, type Db } from '../../store/db.ts';
import { getJob } from '../../store/jobs.ts';
import { anyEnabledChannel, deleteChannelRow, deleteUndeclaredChannels, getChannelRow, listChannelRows, putChannel, type ChannelRow } from '../../store/notification-channels.ts';
import { getOutboxRow, INSERT_PIECE, insertOutboxRows, listAttemptRows, listOutboxRows, nextDueAt, OUTBOX_STATUS, outboxDepth, releaseLeases, type AttemptRow, type OutboxFilter, type OutboxRow } from '../../store/notification-outbox.ts';
import { describeTarget, parseChannel, type ChannelDefinition, type ChannelSpec } from './channel-spec.ts';
import { LogSender } from './log-sender.ts';
import { MqttSender } from './mqtt-sender.ts';
import { aliasNotification, alertNotification, runNotifications, skippedSlotNotification, type SourcedNotification } from './notification-source.ts';
import { OutboxThread, type OutboxThreadData } from './outbox-thread.ts';
import { addCounts, OutboxWorker, type DeliveryCounts, type OutboxWorkerOptions } from './outbox-worker.ts';
import { OUTBOX_RETRY_DEFAULTS } from './retry.ts';
import { WebhookSender } from './webhook-sender.ts';

export interface NotificationServiceDeps {
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  nodeId: string;
  settings: NotificationSettings;
  /** Whether a tenant exists (404 otherwise). */
  requireTenant: (tenantId: string) => Promise<unknown>;
  /** How channel settings are stored; the engine seals them with the master key. Default: plain JSON. */
  configCodec?: ChannelConfigCodec;
  /** Channels created and deleted over the API are recorded. */
  audit?: AuditRecorder;
  /** Outbox worker tuning (tests, the benchmark); `random` applies on this thread only. */
  worker?: Partial<Pick<OutboxWorkerOptions, 'leaseMs' | 'batchSize' | 'perChannel' | 'pollMs' | 'random' | 'retry'>>;
  /**
   * Where a delivery thread opens the store, and whether channel settings are sealed with the
   * master key. Without it a started service delivers on this event loop (the thread keeps time by
   * the system clock, so an engine on an injected clock delivers here).
   */
  thread?: Pick<OutboxThreadData, 'store' | 'sealed'>;
}

export interface ChannelView {
  id: string;
  tenant: string;
  type: string;
  events: string[] | null;
  enabled: boolean;
  origin: string;
  failing: boolean;
  failures: number;
  target: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface NotificationView {
  id: string;
  tenant: string;
  channel: string;
  event: string;
  idempotencyKey: string;
  status: string;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
  payload: Record<string, unknown>;
}

export interface AttemptView {
  attempt: number;
  at: number;
  node: string;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

const channelView = (codec: ChannelConfigCodec, row: ChannelRow): ChannelView => ({
  id: row.id,
  tenant: row.tenant_id,
  type: row.type,
  events: row.events ? (JSON.parse(row.events) as string[]) : null,
  enabled: row.enabled === 1,
  origin: row.origin,
  failing: Number(row.failing) === 1,
  failures: Number(row.failures),
  target: describeTarget(codec.decode(row.tenant_id, row.id, row.config)),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

const notificationView = (row: OutboxRow): NotificationView => ({
  id: row.id,
  tenant: row.tenant_id,
  channel: row.channel_id,
  event: row.event,
  idempotencyKey: row.idem_key,
  status: row.status,
  attempts: Number(row.attempts),
  nextAttemptAt: row.status === OUTBOX_STATUS.pending ? Number(row.next_attempt_at) : null,
  lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
  lastError: row.last_error,
  createdAt: Number(row.created_at),
  deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
  payload: JSON.parse(row.payload) as Record<string, unknown>,
});

const attemptView = (a: AttemptRow): AttemptView => ({
  attempt: Number(a.attempt),
  at: Number(a.at),
  node: a.node,
  durationMs: Number(a.duration_ms),
  ok: Number(a.ok) === 1,
  statusCode: a.status_code === null ? null : Number(a.status_code),
  error: a.error,
});

const apiError = (field: string, message: string) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

export class NotificationService {
  /** Delivers on this thread: what a service without `thread` runs, and what tests drive round by round. */
  readonly worker: OutboxWorker;
  /** Delivery attempts this node made, by `type|outcome`, on either thread (for /metrics). */
  readonly counts: DeliveryCounts = new Map();
  readonly #d: NotificationServiceDeps;
  #thread: OutboxThread | null = null;
  readonly #offs: Array<() => void> = [];
  readonly #pending = new Set<Promise<unknown>>();
  readonly #jobModels = new Map<string, string | null>();

  constructor(deps: NotificationServiceDeps) {
    this.#d = deps;
    const { db, clock, events, logger, nodeId, settings } = deps;
    this.worker = new OutboxWorker({
      db,
      clock,
      events,
      logger: logger.child({ component: 'notifications' }),
      nodeId,
      configCodec: deps.configCodec ?? PLAIN_CHANNEL_CONFIG,
      senders: { webhook: new WebhookSender(), mqtt: new MqttSender(), log: new LogSender(logger.child({ component: 'notifications' })) },
      failingAfter: settings.failingAfter,
      ...deps.worker,
      retry: this.#retry,
      onCounts: (round) => addCounts(this.counts, round),
    });
    const s = settings;
    this.#offs.push(
      events.on('run:finished', ({ run }) => this.#track(async () => runNotifications(run, await this.#modelOfJob(run.job_id), s))),
      events.on('slot:decided', (slot) => {
        if (slot.fate === 'skipped') this.#track(async () => [skippedSlotNotification(slot, await this.#modelOfJob(slot.jobId), s)].filter((n) => n !== null));
      }),
      events.on('model:alias-changed', (change) => this.#track(async () => [aliasNotification(change, clock.now())])),
      events.on('alert:opened', ({ alert }) => this.#track(async () => [alertNotification(alert, 'alert.opened')])),
      events.on('alert:resolved', ({ alert }) => this.#track(async () => [alertNotification(alert, 'alert.resolved')])),
    );
  }

  get #retry() {
    return { ...OUTBOX_RETRY_DEFAULTS, maxAttempts: this.#d.settings.maxAttempts, ...this.#d.worker?.retry };
  }

  /** Starts delivering (the served process; a CLI command only writes the outbox). */
  start(): void {
    const { thread, worker: tuning, nodeId, logger, events, settings } = this.#d;
    if (!thread) return this.worker.start();
    if (this.#thread) return;
    const { random: _random, ...plain } = tuning ?? {};
    this.#thread = new OutboxThread({
      data: { ...thread, nodeId, logLevel: logger.level, worker: { ...plain, failingAfter: settings.failingAfter, retry: this.#retry } },
      events,
      logger,
      onCounts: (round) => addCounts(this.counts, round),
      onUnavailable: (reason) => {
        logger.warn({ reason }, 'notification delivery thread could not start; delivering on the main event loop instead');
        this.worker.start();
      },
      hasWork: async () => (await anyEnabledChannel(this.#d.db.k)) || (await nextDueAt(this.#d.db.k)) !== null,
      pollMs: tuning?.pollMs ?? 1_000,
    });
    this.#thread.start();
  }

  /**
   * Resolves once delivery runs: its thread has opened the store, or delivery fell back to this
   * thread. A thread still waiting for something to deliver is started now.
   */
  async ready(): Promise<void> {
    await this.#thread?.ready();
  }

  /** Every notification of events seen so far is in the outbox. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  async close(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    await this.settled();
    if (this.#thread) {
      await this.#thread.close();
      // A thread terminated mid-round could not give back the rows it held.
      await inTransaction(this.#d.db, (tx) => releaseLeases(tx, this.#d.nodeId, this.#d.clock.now()));
    }
    await this.worker.close();
  }

  /** Never throws into the emitter: a notification that cannot be written is logged, and no run waits for it. */
  #track(make: () => Promise<SourcedNotification[]>): void {
    const p = make()
      .then((list) => this.enqueue(list))
      .catch((error: unknown) => this.#d.logger.warn({ err: error }, 'could not write a notification to the outbox'))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  async #modelOfJob(jobId: string): Promise<string | null> {
    if (this.#jobModels.has(jobId)) return this.#jobModels.get(jobId)!;
    const job = await getJob(this.#d.db.k, jobId);
    const model = job?.kind === 'train' ? job.model : null;
    this.#jobModels.set(jobId, model);
    return model;
  }

  /** Writes each notification once per channel of its tenant that takes its event; returns the rows written. */
  async enqueue(list: readonly SourcedNotification[]): Promise<number> {
    if (list.length === 0) return 0;
    const { db, clock } = this.#d;
    const now = clock.now();
    const channels = new Map<string, ChannelRow[]>();
    for (const tenant of new Set(list.map((n) => n.body.tenant))) channels.set(tenant, await listChannelRows(db.k, tenant));
    // Each channel's events parsed once per call, not once per notification.
    const takes = new Map<ChannelRow, ReadonlySet<string> | null>();
    for (const tenantChannels of channels.values()) for (const c of tenantChannels) takes.set(c, c.events ? new Set(JSON.parse(c.events) as string[]) : null);
    const rows: OutboxRow[] = [];
    for (const n of list) {
      let payload: string | null = null;
      for (const c of channels.get(n.body.tenant) ?? []) {
        if (c.enabled !== 1) continue;
        const events = takes.get(c);
        if (events && !events.has(n.body.event)) continue;
        payload ??= JSON.stringify(n.body);
        rows.push({
          id: outboxId(now),
          tenant_id: n.body.tenant,
          channel_id: c.id,
          event: n.body.event,
          idem_key: n.key,
          payload,
          status: OUTBOX_STATUS.pending,
          attempts: 0,
          next_attempt_at: now,
          lease_owner: null,
          lease_expires_at: null,
          last_status_code: null,
          last_error: null,
          created_at: now,
          updated_at: now,
          delivered_at: null,
        });
      }
    }
    if (rows.length === 0) return 0;
    const written = await inTransaction(db, (tx) => insertOutboxRows(tx, rows, INSERT_PIECE[db.dialect]));
    if (written > 0) {
      this.#thread?.wake();
      this.worker.wake();
    }
    return written;
  }

  /** Writes the config file's channels for their tenants; config channels no longer declared are removed. */
  async syncDeclared(tenantIds: readonly string[]): Promise<void> {
    const now = this.#d.clock.now();
    await inTransaction(this.#d.db, async (tx) => {
      for (const tenantId of tenantIds) {
        const mine = this.#d.settings.channels.filter((c) => c.tenants === null || c.tenants.includes(tenantId));
        for (const { channel } of mine) {
          const existing = await getChannelRow(tx, tenantId, channel.id);
          if (existing && existing.origin !== 'config') continue;
          await putChannel(tx, rowOf(this.#codec, tenantId, channel, 'config', existing ? Number(existing.created_at) : now, now));
        }
        await deleteUndeclaredChannels(tx, tenantId, mine.map((c) => c.channel.id));
      }
    });
  }

  async listChannels(tenantId: string): Promise<ChannelView[]> {
    await this.#d.requireTenant(tenantId);
    return (await listChannelRows(this.#d.db.k, tenantId)).map((row) => channelView(this.#codec, row));
  }

  async getChannel(tenantId: string, id: string): Promise<ChannelView> {
    await this.#d.requireTenant(tenantId);
    const row = await getChannelRow(this.#d.db.k, tenantId, id);
    if (!row) throw channelNotFound(tenantId, id);
    return channelView(this.#codec, row);
  }

  /** Creates a channel from an API body; 409 when the id is taken. */
  async createChannel(tenantId: string, body: unknown): Promise<ChannelView> {
    return this.#audit.track((c: ChannelView) => ({ action: 'channel.create', tenantId, target: `notification-channel/${tenantId}/${c.id}`, after: { type: c.type, events: c.events } }), () => this.#createChannel(tenantId, body));
  }

  get #codec(): ChannelConfigCodec {
    return this.#d.configCodec ?? PLAIN_CHANNEL_CONFIG;
  }

  get #audit(): AuditRecorder {
    return this.#d.audit ?? NO_AUDIT;
  }

  async #createChannel(tenantId: string, body: unknown): Promise<ChannelView> {
    await this.#d.requireTenant(tenantId);
    const channel = parseChannel(body, '', apiError);
    const now = this.#d.clock.now();
    return inTransaction(this.#d.db, async (tx) => {
      if (await getChannelRow(tx, tenantId, channel.id)) {
        throw new NsError('NS_CONFLICT', `channel "${channel.id}" of tenant "${tenantId}" exists; delete it first or choose another id`, { field: 'id' });
      }
      const row = rowOf(this.#codec, tenantId, channel, 'api', now, now);
      await putChannel(tx, row);
      return channelView(this.#codec, { ...row, failures: 0, failing: 0 });
    });
  }

  async deleteChannel(tenantId: string, id: string): Promise<void> {
    return this.#audit.track({ action: 'channel.delete', tenantId, target: `notification-channel/${tenantId}/${id}`, after: null }, () => this.#deleteChannel(tenantId, id));
  }

  async #deleteChannel(tenantId: string, id: string): Promise<void> {
    await this.#d.requireTenant(tenantId);
    const row = await getChannelRow(this.#d.db.k, tenantId, id);
    if (!row) throw channelNotFound(tenantId, id);
    if (row.origin === 'config') {
      throw new NsError('NS_CONFLICT', `channel "${id}" is declared in the config file (notifications.channels); remove it there, it would come back at the next start`, { field: 'channelId' });
    }
    await inTransaction(this.#d.db, (tx) => deleteChannelRow(tx, tenantId, id));
  }

  async list(filter: OutboxFilter, page: { limit: number; before?: { at: number; id: string } }): Promise<NotificationView[]> {
    return (await listOutboxRows(this.#d.db.k, filter, page)).map(notificationView);
  }

  /** One notification with its attempts; 404 when it is not one of `tenants`. */
  async get(id: string, tenants: readonly string[] | '*'): Promise<NotificationView & { history: AttemptView[] }> {
    const row = await getOutboxRow(this.#d.db.k, id);
    if (!row || (tenants !== '*' && !tenants.includes(row.tenant_id))) throw new NsError('NS_NOT_FOUND', `notification "${id}" does not exist`, { field: 'id' });
    return { ...notificationView(row), history: (await listAttemptRows(this.#d.db.k, id)).map(attemptView) };
  }

  /** Pending and given-up rows per tenant: for /metrics. */
  depth(): Promise<Array<{ tenant_id: string; status: string; n: number }>> {
    return outboxDepth(this.#d.db.k);
  }
}

function rowOf(codec: ChannelConfigCodec, tenantId: string, c: ChannelDefinition, origin: 'config' | 'api', createdAt: number, now: number): Omit<ChannelRow, 'failures' | 'failing'> {
  return { tenant_id: tenantId, id: c.id, type: c.spec.type, config: codec.encode(tenantId, c.id, c.spec), events: c.events ? JSON.stringify(c.events) : null, enabled: c.enabled ? 1 : 0, origin, created_at: createdAt, updated_at: now };
}

/**
 * Time-ordered ids with a sequence after the millisecond: rows written in one millisecond keep the
 * order they were written in, which is the order the worker delivers them to a channel.
 */
let sequence = 0;
function outboxId(now: number): string {
  sequence = (sequence + 1) % 36 ** 4;
  return `ntf_${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomHex(3)}`;
}

const channelNotFound = (tenantId: string, id: string) =>
  new NsError('NS_NOT_FOUND', `notification channel "${id}" of tenant "${tenantId}" does not exist`, { field: 'channelId', details: { tenantId, channelId: id } });
