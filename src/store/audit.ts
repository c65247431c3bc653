/**
 * The audit log's statements: an insert and a filtered, paged select. There is deliberately no
 * update or delete here (and triggers refuse them, migration 0018).
 */
import type { Executor } from './db.ts';
import type { AuditLogTable } from './schema.ts';

export type AuditRow = AuditLogTable;

export async function insertAuditRow(x: Executor, row: AuditRow): Promise<void> {
  await x.insertInto('audit_log').values(row).execute();
}

export interface AuditFilter {
  /** Null: every tenant (and the installation's own events); an empty list matches nothing. */
  tenants: readonly string[] | null;
  action?: string;
  /** Actions starting with this (`model.` for every model action). */
  actionPrefix?: string;
  subject?: string;
  target?: string;
  since?: number;
  until?: number;
}

/** Newest first; `before`: the id of the last entry of the previous page. */
export async function listAuditRows(x: Executor, filter: AuditFilter, page: { before: string | null; limit: number }): Promise<AuditRow[]> {
  if (filter.tenants !== null && filter.tenants.length === 0) return [];
  let q = x.selectFrom('audit_log').selectAll();
  if (filter.tenants !== null) q = q.where('tenant_id', 'in', [...filter.tenants]);
  if (filter.action !== undefined) q = q.where('action', '=', filter.action);
  if (filter.actionPrefix !== undefined) q = q.where('action', '>=', filter.actionPrefix).where('action', '<', `${filter.actionPrefix}\u{10FFFF}`);
  if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
  if (filter.target !== undefined) q = q.where('target', '=', filter.target);
  if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
  if (filter.until !== undefined) q = q.where('at', '<', filter.until);
  if (page.before !== null) q = q.where('id', '<', page.before);
  return q.orderBy('id', 'desc').limit(page.limit).execute();
}
