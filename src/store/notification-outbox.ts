/**
 * The notification outbox: rows written before any delivery is tried, taken by a node with a
 * lease, finished (delivered, retried later, or given up) under that lease, with every attempt kept.
 */
import { sql } from 'kysely';
import { inTransaction, type Db, type Executor } from './db.ts';
import type { NotificationAttemptsTable, NotificationOutboxTable } from './schema.ts';

export type OutboxRow = NotificationOutboxTable;
export type AttemptRow = NotificationAttemptsTable;

export const OUTBOX_STATUS = { pending: 'pending', delivered: 'delivered', dead: 'dead' } as const;

/**
 * Inserts rows; a (tenant, channel, idempotency key) already there is left as it is. Returns how many were new.
 *
 * In statements of at most `piece` rows, with the event loop let go between them. On SQLite each
 * statement runs on the caller's event loop: 500 rows are 8-10 ms of CPU (the rows and their three
 * indexes), which in one piece stalls everything else that loop serves (the service's API when it
 * writes notifications itself, a load generator beside a CLI writer). Still one transaction: the
 * caller's, so the rows commit together or not at all.
 */
export async function insertOutboxRows(x: Executor, rows: readonly OutboxRow[], piece = rows.length): Promise<number> {
  if (!(piece >= 1)) throw new Error(`insertOutboxRows piece must be at least 1 row, got ${piece}`);
  let written = 0;
  for (let i = 0; i < rows.length; i += piece) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    // The count of rows changed, not a returned id per row: a skipped conflict changes none.
    const result = await x
      .insertInto('notification_outbox')
      .values(rows.slice(i, i + piece))
      .onConflict((oc) => oc.columns(['tenant_id', 'channel_id', 'idem_key']).doNothing())
      .executeTakeFirst();
    written += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return written;
}

/**
 * Rows per insert statement. SQLite: about 1 ms of the event loop each. PostgreSQL: one round trip
 * each, and well under its 65,535 parameters (16 per row).
 */
export const INSERT_PIECE = { sqlite: 50, postgres: 1_000 } as const;

/**
 * Takes up to `limit` due rows for `owner` until `now + leaseMs`: pending, due, and not leased (or
 * leased by a node whose lease ran out). PostgreSQL skips rows another node is taking at this
 * moment (FOR UPDATE SKIP LOCKED), so two nodes never take the same row; SQLite's write lock
 * serializes the processes sharing its file.
 */
export async function claimDueRows(db: Db, owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
  const until = now + leaseMs;
  if (db.dialect === 'postgres') {
    const { rows } = await sql<OutboxRow>`update notification_outbox o set lease_owner = ${owner}, lease_expires_at = ${until}, updated_at = ${now}
      from (select id from notification_outbox
            where status = 'pending' and next_attempt_at <= ${now} and (lease_expires_at is null or lease_expires_at <= ${now})
            order by next_attempt_at, id limit ${limit} for update skip locked) due
      where o.id = due.id returning o.*`.execute(db.k);
    return rows.sort(byDue);
  }
  return inTransaction(db, async (tx) => {
    const { rows } = await sql<OutboxRow>`update notification_outbox set lease_owner = ${owner}, lease_expires_at = ${until}, updated_at = ${now}
      where id in (select id from notification_outbox
                   where status = 'pending' and next_attempt_at <= ${now} and (lease_expires_at is null or lease_expires_at <= ${now})
                   order by next_attempt_at, id limit ${limit})
      returning *`.execute(tx);
    return rows.sort(byDue);
  }, { durability: 'visible' });
}

const byDue = (a: OutboxRow, b: OutboxRow) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Gives back the rows `owner` holds and has not finished (a delivery stopped by a shutdown): they
 * are due again at once, for this node after its restart or for another node now, instead of after
 * their lease runs out. Returns how many.
 */
export async function releaseLeases(x: Executor, owner: string, now: number): Promise<number> {
  const result = await x
    .updateTable('notification_outbox')
    .set({ lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('lease_owner', '=', owner)
    .where('status', '=', OUTBOX_STATUS.pending)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** When the next due row is, or null when none is pending. */
export async function nextDueAt(x: Executor): Promise<number | null> {
  const row = await x.selectFrom('notification_outbox').select((eb) => eb.fn.min('next_attempt_at').as('at')).where('status', '=', 'pending').executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

export interface DeliveryOutcome {
  row: OutboxRow;
  attempt: AttemptRow;
  /** The row's new state: delivered, pending again at nextAttemptAt, or dead. */
  status: string;
  nextAttemptAt: number;
}

/**
 * Finishes attempts made under `owner`'s lease, in a few multi-row statements (a round's outcomes
 * in one UPDATE … FROM VALUES and one INSERT each chunk: on SQLite every statement runs on the event
 * loop, so fewer statements is less time the API waits). A row whose lease another node took
 * meanwhile is left to that node (its attempt is still recorded). Returns the outcomes that applied.
 */
export async function finishDeliveries(x: Executor, owner: string, now: number, outcomes: readonly DeliveryOutcome[]): Promise<DeliveryOutcome[]> {
  const applied: DeliveryOutcome[] = [];
  for (let i = 0; i < outcomes.length; i += FINISH_CHUNK) {
    const chunk = outcomes.slice(i, i + FINISH_CHUNK);
    const values = sql.join(
      chunk.map(
        (o) =>
          sql`(CAST(${o.row.id} AS TEXT), CAST(${o.status} AS TEXT), CAST(${o.attempt.attempt} AS INTEGER), CAST(${o.nextAttemptAt} AS BIGINT), CAST(${o.attempt.status_code} AS INTEGER), CAST(${o.attempt.error} AS TEXT), CAST(${o.status === OUTBOX_STATUS.delivered ? now : null} AS BIGINT))`,
      ),
    );
    const { rows } = await sql<{ id: string }>`update notification_outbox set
        status = v.column2, attempts = v.column3, next_attempt_at = v.column4, last_status_code = v.column5, last_error = v.column6,
        delivered_at = v.column7, lease_owner = null, lease_expires_at = null, updated_at = ${now}
      from (values ${values}) as v
      where notification_outbox.id = v.column1 and notification_outbox.lease_owner = ${owner} and notification_outbox.status = 'pending'
      returning notification_outbox.id`.execute(x);
    await x
      .insertInto('notification_attempts')
      .values(chunk.map((o) => o.attempt))
      .onConflict((oc) => oc.columns(['notification_id', 'attempt']).doNothing())
      .execute();
    const done = new Set(rows.map((r) => r.id));
    for (const o of chunk) if (done.has(o.row.id)) applied.push(o);
  }
  return applied;
}

/** Outcomes per statement: 9 parameters each on the attempts insert, well under SQLite's 32,766. */
const FINISH_CHUNK = 500;

export interface OutboxFilter {
  /** The tenants the caller may see; '*' for all. */
  tenants: readonly string[] | '*';
  tenant?: string;
  status?: string;
  event?: string;
  channel?: string;
  model?: string;
}

/** Newest first; `before` is the (created_at, id) of the previous page's last row. */
export async function listOutboxRows(x: Executor, filter: OutboxFilter, page: { limit: number; before?: { at: number; id: string } }): Promise<OutboxRow[]> {
  let q = x.selectFrom('notification_outbox').selectAll();
  if (filter.tenants !== '*') q = filter.tenants.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('tenant_id', 'in', [...filter.tenants]);
  if (filter.tenant !== undefined) q = q.where('tenant_id', '=', filter.tenant);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.event !== undefined) q = q.where('event', '=', filter.event);
  if (filter.channel !== undefined) q = q.where('channel_id', '=', filter.channel);
  const b = page.before;
  if (b) q = q.where((eb) => eb.or([eb('created_at', '<', b.at), eb.and([eb('created_at', '=', b.at), eb('id', '<', b.id)])]));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}

export async function getOutboxRow(x: Executor, id: string): Promise<OutboxRow | undefined> {
  return x.selectFrom('notification_outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listAttemptRows(x: Executor, notificationId: string): Promise<AttemptRow[]> {
  return x.selectFrom('notification_attempts').selectAll().where('notification_id', '=', notificationId).orderBy('attempt').execute();
}

/** Pending and given-up rows per tenant and status: the outbox's depth, for /metrics. */
export async function outboxDepth(x: Executor): Promise<Array<{ tenant_id: string; status: string; n: number }>> {
  const rows = await x
    .selectFrom('notification_outbox')
    .select(['tenant_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', [OUTBOX_STATUS.pending, OUTBOX_STATUS.dead])
    .groupBy(['tenant_id', 'status'])
    .execute();
  return rows.map((r) => ({ tenant_id: r.tenant_id, status: r.status, n: Number(r.n) }));
}

/** Removes delivered and given-up rows (and their attempts) finished before `before`. */
export async function pruneOutbox(x: Executor, before: number): Promise<number> {
  const old = x.selectFrom('notification_outbox').select('id').where('status', '!=', OUTBOX_STATUS.pending).where('updated_at', '<', before);
  await x.deleteFrom('notification_attempts').where('notification_id', 'in', old).execute();
  const result = await x.deleteFrom('notification_outbox').where('status', '!=', OUTBOX_STATUS.pending).where('updated_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
