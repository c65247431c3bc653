/**
 * The audit log: one entry per change made through a service, and per training, promotion,
 * rollback, alert and key event. Services wrap each change in `track`, which records one entry
 * once the change succeeded, with the actor of the request or command (audit/actor.ts); a change
 * made inside another tracked change (a model declared over the API gets its nightly schedule) is
 * part of the outer entry, so one request leaves one entry. Events nobody requested (a scheduled
 * training's end, an alert) are recorded by `watch` as the system's.
 *
 * Append-only: nothing here updates or deletes, and the store's triggers refuse both.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { currentActor, SYSTEM_ACTOR, type AuditActor } from '../audit/actor.ts';
import type { Clock } from '../clock.ts';
import { NsError } from '../errors.ts';
import type { AlertEventPayload, EngineEvents } from '../events.ts';
import { insertAuditRow, listAuditRows, type AuditFilter, type AuditRow } from '../store/audit.ts';
import type { Db, Executor } from '../store/db.ts';
import type { RunRow } from '../store/runs.ts';

export interface AuditEntryInput {
  /** `<resource>.<verb>`: `tenant.create`, `run.trigger`, `model.promote`, `training.finished`, `alert.opened`, `key.rotate-master`… */
  action: string;
  /** Null for the installation's own events. */
  tenantId: string | null;
  /** `<kind>/<id>`: `tenant/acme`, `run/run_…`, `model/acme/failure`. */
  target: string;
  /** Summaries (a few fields, never data rows or secrets), stored as JSON. */
  before?: unknown;
  after?: unknown;
}

export interface AuditEntry {
  id: string;
  at: number;
  tenantId: string | null;
  subject: string;
  keyId: string | null;
  via: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}

/** What services need to record their changes. */
export interface AuditRecorder {
  track<T>(describe: AuditEntryInput | ((result: T) => AuditEntryInput | null), work: () => Promise<T>): Promise<T>;
  record(input: AuditEntryInput, options?: { actor?: AuditActor; x?: Executor }): Promise<void>;
}

/** Records nothing: for services built without an audit log (unit tests of one service). */
export const NO_AUDIT: AuditRecorder = Object.freeze({
  track: <T>(_d: unknown, work: () => Promise<T>) => work(),
  record: async () => undefined,
});

export interface AuditListQuery extends Omit<AuditFilter, 'tenants'> {
  tenants: readonly string[] | null;
  limit: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}

const SEQ_LIMIT = 36 ** 6;
const AUDIT_ID = /^aud_[0-9a-z]{15}[0-9a-f]{8}$/;

/** A summary is capped so that a large body can never bloat the log. */
const MAX_SUMMARY_CHARS = 4000;

export class AuditService implements AuditRecorder {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #seq = 0;
  /**
   * Open while a tracked change runs: changes nested in it belong to its entry. A timer it starts
   * inherits the scope but fires after it closed, and records on its own.
   */
  readonly #scope = new AsyncLocalStorage<{ open: boolean }>();

  constructor(deps: { db: Db; clock: Clock; logger: Logger }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async track<T>(describe: AuditEntryInput | ((result: T) => AuditEntryInput | null), work: () => Promise<T>): Promise<T> {
    if (this.#scope.getStore()?.open) return work();
    const scope = { open: true };
    let result: T;
    try {
      result = await this.#scope.run(scope, work);
    } finally {
      scope.open = false;
    }
    const input = typeof describe === 'function' ? describe(result) : describe;
    if (input) await this.record(input);
    return result;
  }

  /**
   * Appends one entry. `x`: inside the caller's transaction, so the entry commits with the change.
   * Outside one, a failure to append is logged at error level and does not undo the change that
   * was already committed (the caller was told nothing yet, and the change did happen).
   */
  async record(input: AuditEntryInput, options: { actor?: AuditActor; x?: Executor } = {}): Promise<void> {
    const actor = options.actor ?? currentActor();
    const at = this.#clock.now();
    const row: AuditRow = {
      id: this.#nextId(at),
      at,
      tenant_id: input.tenantId,
      subject: actor.subject,
      key_id: actor.keyId,
      via: actor.via,
      action: input.action,
      target: input.target,
      before_state: summary(input.before),
      after_state: summary(input.after),
      request_id: actor.requestId,
    };
    if (options.x) return insertAuditRow(options.x, row);
    try {
      await insertAuditRow(this.#db.k, row);
    } catch (error) {
      this.#logger.error({ err: error, audit: { ...row, before_state: undefined, after_state: undefined } }, 'audit log: cannot append an entry');
    }
  }

  /**
   * Time-ordered, and in the order of recording within one process (a counter after the time:
   * entries of one millisecond, or of a clock that stands still, keep their order), then random
   * bits so that nodes never collide.
   */
  #nextId(at: number): string {
    this.#seq = (this.#seq + 1) % SEQ_LIMIT;
    return `aud_${Math.max(0, at).toString(36).padStart(9, '0')}${this.#seq.toString(36).padStart(6, '0')}${randomBytes(4).toString('hex')}`;
  }

  /** Newest first, `limit` per page; `nextCursor` continues. */
  async list(query: AuditListQuery): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
    const { limit, cursor, ...filter } = query;
    if (cursor !== undefined && !AUDIT_ID.test(cursor)) {
      throw new NsError('NS_VALIDATION', 'cursor: not a cursor of this list; pass the nextCursor of the previous page', { field: 'cursor' });
    }
    const rows = await listAuditRows(this.#db.k, filter, { before: cursor ?? null, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { entries: page.map(entryOf), nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  /** Records trainings and alerts as they happen in this process; returns the unsubscribe. */
  watch(events: EngineEvents): () => void {
    const offs = [
      events.on('run:finished', ({ run }) => {
        if (!isTraining(run)) return;
        void this.record(trainingEntry(run), { actor: SYSTEM_ACTOR });
        if (run.outcome === 'promoted') {
          void this.record({ action: 'model.promote', tenantId: run.tenant_id, target: `model/${run.tenant_id}/${modelOf(run)}`, after: { version: versionOf(run), by: 'training', runId: run.id } }, { actor: SYSTEM_ACTOR });
        }
      }),
      events.on('alert:opened', ({ alert }) => void this.record(alertEntry('alert.opened', alert), { actor: SYSTEM_ACTOR })),
      // Acknowledging is someone's act: recorded by whoever acknowledges through a service (the monitoring issue).
      events.on('alert:resolved', ({ alert }) => void this.record(alertEntry('alert.resolved', alert), { actor: SYSTEM_ACTOR })),
    ];
    return () => {
      for (const off of offs) off();
    };
  }
}

function summary(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value) ?? null;
  if (text === null || text.length <= MAX_SUMMARY_CHARS) return text;
  return JSON.stringify({ truncated: true, chars: text.length, start: text.slice(0, MAX_SUMMARY_CHARS) });
}

function parse(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}

function entryOf(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: Number(r.at),
    tenantId: r.tenant_id,
    subject: r.subject,
    keyId: r.key_id,
    via: r.via,
    action: r.action,
    target: r.target,
    before: parse(r.before_state),
    after: parse(r.after_state),
    requestId: r.request_id,
  };
}

const TRAIN_JOB_PREFIX = 'train-';
const isTraining = (run: RunRow): boolean => run.job_id.startsWith(TRAIN_JOB_PREFIX);
const modelOf = (run: RunRow): string => run.job_id.slice(TRAIN_JOB_PREFIX.length);

function versionOf(run: RunRow): number | null {
  if (!run.result) return null;
  try {
    const v = (JSON.parse(run.result) as { version?: { version?: unknown } | number | null }).version;
    if (typeof v === 'number') return v;
    return typeof v?.version === 'number' ? v.version : null;
  } catch {
    return null;
  }
}

function trainingEntry(run: RunRow): AuditEntryInput {
  return {
    action: 'training.finished',
    tenantId: run.tenant_id,
    target: `run/${run.id}`,
    after: { model: modelOf(run), trigger: run.trigger, status: run.status, outcome: run.outcome, version: versionOf(run), error: run.error_code },
  };
}

function alertEntry(action: string, alert: AlertEventPayload): AuditEntryInput {
  return {
    action,
    tenantId: alert.tenantId,
    target: `alert/${alert.id}`,
    after: { type: alert.type, severity: alert.severity, model: alert.model, status: alert.status, message: alert.message },
  };
}
