/**
 * Delivers the outbox: takes due rows with a lease, delivers them (one channel's rows in the order
 * they were written, several channels at once), then records every attempt and each row's new state
 * in one transaction under that lease. A row whose node died is taken again when its lease runs out;
 * receivers drop the repeat by its idempotency key. Deliveries never run inside a run: a channel
 * that fails only delays its own rows.
 *
 * The service runs this loop in a worker thread of its own (outbox-thread.ts), off the API's event
 * loop; tests drive `deliverDue()` on the caller's thread with their clock. While one round's
 * outcomes are being written (and, on SQLite, fsynced), the next round is already taken and sent.
 * A stopped worker sends nothing more, records what it sent and gives back the rows it had taken
 * but not sent, so they are due again at once.
 */
import { PLAIN_CHANNEL_CONFIG, type ChannelConfigCodec } from './channel-config-codec.ts';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { EngineEvents } from '../../events.ts';
import { inTransaction, type Db } from '../../store/db.ts';
import { getChannelRow, recordChannelOutcome } from '../../store/notification-channels.ts';
import { claimDueRows, finishDeliveries, OUTBOX_STATUS, pruneOutbox, releaseLeases, type DeliveryOutcome, type OutboxRow } from '../../store/notification-outbox.ts';
import type { ChannelSpec, ChannelType } from './channel-spec.ts';
import type { Notification } from './events.ts';
import { retryDelayMs, type OutboxRetryPolicy } from './retry.ts';
import type { DeliveryResult, Sender } from './sender.ts';
import type { DeliveryPace } from './delivery-pace.ts';

export interface OutboxWorkerOptions {
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  nodeId: string;
  senders: Record<ChannelType, Sender>;
  /** How channel settings are stored (sealed: they hold secrets). */
  configCodec?: ChannelConfigCodec;
  retry: OutboxRetryPolicy;
  /** Failed delivery rounds in a row after which a channel is failing (notification:failing). */
  failingAfter: number;
  /** How long a node holds the rows it took (a dead node's rows are taken again after it). */
  leaseMs?: number;
  /** Rows per round. */
  batchSize?: number;
  /** Deliveries to one channel under way at once. */
  perChannel?: number;
  /** How often due retries are looked for when nothing wakes the worker. */
  pollMs?: number;
  /** Delivered and given-up rows are removed after this long (ms). */
  retentionMs?: number;
  random?: () => number;
  /** Spaces deliveries out while the API is busy (delivery-pace.ts); none: every delivery starts at once. */
  pace?: DeliveryPace;
  /** Each round's attempts that applied, by `type|outcome` (for /metrics). */
  onCounts?: (round: DeliveryCounts) => void;
}

export interface RoundResult {
  claimed: number;
  delivered: number;
  failed: number;
  dead: number;
}

/** Attempts this node made, by `type|outcome` (channel type; delivered, failed, dead), for /metrics. */
export type DeliveryCounts = Map<string, number>;

/** Adds one round's counts to a running total. */
export function addCounts(total: DeliveryCounts, round: Iterable<readonly [string, number]>): void {
  for (const [key, n] of round) total.set(key, (total.get(key) ?? 0) + n);
}

type Outcome = DeliveryOutcome & { type: string };

/** A round's rows, sent; what is left is writing down how it went. */
interface SentRound {
  rows: OutboxRow[];
  byChannel: Map<string, OutboxRow[]>;
  outcomes: Outcome[];
}

export class OutboxWorker {
  readonly #o: Required<Omit<OutboxWorkerOptions, 'random' | 'onCounts' | 'pace'>> & Pick<OutboxWorkerOptions, 'onCounts' | 'pace'> & { random: () => number };
  #loop: Promise<void> | null = null;
  #closed = false;
  #wake: (() => void) | null = null;
  #woken = false;
  #prunedAt = 0;

  constructor(options: OutboxWorkerOptions) {
    this.#o = { leaseMs: 60_000, batchSize: 256, perChannel: 16, pollMs: 1_000, retentionMs: 30 * 86_400_000, random: Math.random, configCodec: PLAIN_CHANNEL_CONFIG, ...options };
  }

  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
  }

  /** Something was written to the outbox: look at once. */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /**
   * Stops: nothing more is sent, what was sent is recorded, and the rows taken but not sent are
   * given back (due again at once, here after a restart or on another node now).
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    const started = this.#loop !== null;
    await this.#loop;
    await Promise.all(Object.values(this.#o.senders).map((s) => s.close()));
    if (started) {
      const released = await inTransaction(this.#o.db, (tx) => releaseLeases(tx, this.#o.nodeId, this.#o.clock.now()));
      if (released > 0) this.#o.logger.info({ released }, 'notifications taken but not sent are due again');
    }
  }

  async #run(): Promise<void> {
    // The previous round's outcomes, being written while this round is taken and sent.
    let recording: Promise<unknown> = Promise.resolve();
    const record = (sent: SentRound) =>
      this.#record(sent).catch((error: unknown) => {
        this.#o.logger.warn({ err: error }, 'notification outcomes could not be recorded; the rows are sent again after their lease');
      });
    while (!this.#closed) {
      this.#woken = false;
      let full = false;
      try {
        const sent = await this.#take();
        // Rounds are recorded in order: a channel's failures in a row are counted as they happened.
        await recording;
        recording = sent.rows.length > 0 ? record(sent) : Promise.resolve();
        full = sent.rows.length === this.#o.batchSize;
        await this.#prune();
      } catch (error) {
        this.#o.logger.warn({ err: error }, 'notification outbox round failed; trying again');
      }
      if (full || this.#woken || this.#closed) continue;
      await recording;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), this.#o.pollMs);
        const done = () => {
          clearTimeout(timer);
          this.#wake = null;
          resolve();
        };
        this.#wake = done;
      });
    }
    await recording;
  }

  async #prune(): Promise<void> {
    const now = this.#o.clock.now();
    if (now - this.#prunedAt < 3_600_000) return;
    this.#prunedAt = now;
    await inTransaction(this.#o.db, (tx) => pruneOutbox(tx, now - this.#o.retentionMs));
  }

  /** One round: takes what is due now, delivers it and records the outcomes. Tests call it directly. */
  async deliverDue(): Promise<RoundResult> {
    const sent = await this.#take();
    return sent.rows.length === 0 ? { claimed: 0, delivered: 0, failed: 0, dead: 0 } : this.#record(sent);
  }

  /** Takes the due rows and sends them: each channel's rows in order, the channels at once. */
  async #take(): Promise<SentRound> {
    const { db, clock, nodeId } = this.#o;
    const rows = await claimDueRows(db, nodeId, clock.now(), this.#o.leaseMs, this.#o.batchSize);
    const byChannel = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = `${row.tenant_id}\u0000${row.channel_id}`;
      const list = byChannel.get(key);
      if (list) list.push(row);
      else byChannel.set(key, [row]);
    }
    const outcomes: Outcome[] = [];
    await Promise.all([...byChannel.values()].map(async (list) => outcomes.push(...(await this.#deliverChannel(list)))));
    return { rows, byChannel, outcomes };
  }

  /** Writes a sent round's attempts and the rows' new states in one transaction, then reports it. */
  async #record({ rows, byChannel, outcomes }: SentRound): Promise<RoundResult> {
    const { db, clock, nodeId } = this.#o;
    const finishedAt = clock.now();
    const { applied, changes } = await inTransaction(db, async (tx) => {
      const applied = await finishDeliveries(tx, nodeId, finishedAt, outcomes);
      const changes: Array<{ tenantId: string; channel: string; became: 'failing' | 'recovered'; failures: number; lastError: string }> = [];
      for (const list of byChannel.values()) {
        const first = list[0]!;
        const mine = outcomes.filter((o) => o.row.tenant_id === first.tenant_id && o.row.channel_id === first.channel_id);
        // Every row of the channel was left unsent by a stop: nothing to say about the channel.
        if (mine.length === 0) continue;
        const ok = mine.some((o) => o.attempt.ok === 1);
        const gaveUp = mine.some((o) => o.status === OUTBOX_STATUS.dead);
        const r = await recordChannelOutcome(tx, first.tenant_id, first.channel_id, ok, this.#o.failingAfter, gaveUp);
        if (r.became) changes.push({ tenantId: first.tenant_id, channel: first.channel_id, became: r.became, failures: r.failures, lastError: mine.find((o) => o.attempt.error)?.attempt.error ?? '' });
      }
      return { applied, changes };
    });
    const result: RoundResult = { claimed: rows.length, delivered: 0, failed: 0, dead: 0 };
    const counts: DeliveryCounts = new Map();
    for (const o of applied) {
      const outcome = o.status === OUTBOX_STATUS.delivered ? 'delivered' : o.status === OUTBOX_STATUS.dead ? 'dead' : 'failed';
      result[outcome]++;
      const key = `${(o as Outcome).type}|${outcome}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    if (counts.size > 0) this.#o.onCounts?.(counts);
    for (const c of changes) {
      if (c.became === 'failing') {
        this.#o.logger.warn({ tenantId: c.tenantId, channel: c.channel, failures: c.failures, lastError: c.lastError }, 'notification channel is failing');
        this.#o.events.emit('notification:failing', { tenantId: c.tenantId, channel: c.channel, failures: c.failures, lastError: c.lastError });
      } else {
        this.#o.logger.info({ tenantId: c.tenantId, channel: c.channel }, 'notification channel delivers again');
        this.#o.events.emit('notification:recovered', { tenantId: c.tenantId, channel: c.channel });
      }
    }
    return result;
  }

  /**
   * One channel's rows, started in the order they were written, at most `perChannel` at once. Once
   * the worker is stopped no further row is started: those left out stay leased until close()
   * gives them back.
   */
  async #deliverChannel(rows: OutboxRow[]): Promise<Outcome[]> {
    const first = rows[0]!;
    const channel = await getChannelRow(this.#o.db.k, first.tenant_id, first.channel_id);
    const spec = channel ? this.#o.configCodec.decode(channel.tenant_id, channel.id, channel.config) : null;
    const unusable: DeliveryResult | null = !channel ? { ok: false, statusCode: null, error: 'channel deleted' } : channel.enabled !== 1 ? { ok: false, statusCode: null, error: 'channel disabled' } : null;
    const out: Outcome[] = [];
    let next = 0;
    const lane = async () => {
      while (next < rows.length && !this.#closed) {
        const i = next++;
        const row = rows[i]!;
        const turn = unusable ? null : this.#o.pace?.next();
        if (turn) await turn;
        const at = this.#o.clock.now();
        const started = performance.now();
        const result = unusable ?? (await this.#send(spec!, row, at));
        out[i] = { ...this.#outcome(row, result, at, performance.now() - started, unusable !== null), type: spec?.type ?? 'unknown' };
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.perChannel, rows.length) }, lane));
    return out.filter((o) => o !== undefined);
  }

  async #send(spec: ChannelSpec, row: OutboxRow, at: number): Promise<DeliveryResult> {
    const notification: Notification = { id: row.id, idempotencyKey: row.idem_key, ...(JSON.parse(row.payload) as Omit<Notification, 'id' | 'idempotencyKey'>) };
    try {
      return await this.#o.senders[spec.type].send(spec as never, notification, Math.floor(at / 1000));
    } catch (error) {
      return { ok: false, statusCode: null, error: (error as Error).message };
    }
  }

  #outcome(row: OutboxRow, r: DeliveryResult, at: number, durationMs: number, giveUp: boolean): DeliveryOutcome {
    const attempt = Number(row.attempts) + 1;
    const dead = !r.ok && (giveUp || attempt >= this.#o.retry.maxAttempts);
    const status = r.ok ? OUTBOX_STATUS.delivered : dead ? OUTBOX_STATUS.dead : OUTBOX_STATUS.pending;
    const nextAttemptAt = status === OUTBOX_STATUS.pending ? at + retryDelayMs(attempt, this.#o.retry, this.#o.random) : Number(row.next_attempt_at);
    return {
      row,
      status,
      nextAttemptAt,
      attempt: {
        notification_id: row.id,
        attempt,
        tenant_id: row.tenant_id,
        node: this.#o.nodeId,
        at,
        duration_ms: Math.round(durationMs * 100) / 100,
        ok: r.ok ? 1 : 0,
        status_code: r.statusCode,
        error: r.error,
      },
    };
  }
}
