/**
 * Alerts and their lifecycle. The unique partial index alerts_one_active (migration 16) keeps one
 * alert not resolved per (tenant, model, type, subject): opening one that is already active inserts
 * nothing, on any number of nodes at once.
 */
import { insertRows } from './bulk-statements.ts';
import type { Executor } from './db.ts';
import type { AlertsTable } from './schema.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export type AlertRow = AlertsTable;

const ACTIVE = ['open', 'acknowledged'];
const CHUNK = 200;

/** Alerts not resolved, and those resolved at or after `resolvedSince` (the cooldown). */
export async function activeAndRecentAlerts(x: Executor, scope: TenantScope, resolvedSince: number): Promise<AlertRow[]> {
  const active = await inScope(x.selectFrom('alerts').selectAll().where('status', 'in', ACTIVE), scope).execute();
  const recent = await inScope(x.selectFrom('alerts').selectAll().where('resolved_at', '>=', resolvedSince), scope).execute();
  return [...active, ...recent];
}

/** Inserts the alerts whose (tenant, model, type, subject) has none active; returns those inserted. */
export async function insertAlerts(x: Executor, rows: readonly AlertRow[]): Promise<AlertRow[]> {
  const out: AlertRow[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(...(await insertRows<AlertRow>(x, 'alerts', rows.slice(i, i + CHUNK), 'on conflict do nothing returning *')));
  return out;
}

/** Resolves those of `ids` not resolved yet; returns them (another node may have resolved the rest). */
export async function resolveAlertRows(x: Executor, ids: readonly string[], now: number, resolution: string): Promise<AlertRow[]> {
  const out: AlertRow[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    out.push(
      ...(await x
        .updateTable('alerts')
        .set({ status: 'resolved', resolved_at: now, updated_at: now, resolution })
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .where('status', 'in', ACTIVE)
        .returningAll()
        .execute()),
    );
  }
  return out;
}

/** Acknowledges an open alert; undefined when it is not open (absent, another tenant's, acknowledged or resolved already). */
export async function acknowledgeAlertRow(x: Executor, scope: TenantScope, id: string, by: string | null, now: number): Promise<AlertRow | undefined> {
  return inScope(x.updateTable('alerts').set({ status: 'acknowledged', acknowledged_at: now, acknowledged_by: by, updated_at: now }).where('id', '=', id).where('status', '=', 'open'), scope)
    .returningAll()
    .executeTakeFirst();
}

export async function getAlertRow(x: Executor, scope: TenantScope, id: string): Promise<AlertRow | undefined> {
  return inScope(x.selectFrom('alerts').selectAll().where('id', '=', id), scope).executeTakeFirst();
}

export interface AlertFilter {
  status?: 'open' | 'acknowledged' | 'resolved' | 'active';
  type?: string;
  model?: string;
}

/** Newest first; `before` is the (opened_at, id) of the previous page's last row. */
export async function listAlertRows(x: Executor, scope: TenantScope, f: AlertFilter, page: { limit: number; before?: { at: number; id: string } }): Promise<AlertRow[]> {
  let q = inScope(x.selectFrom('alerts').selectAll(), scope);
  if (f.status === 'active') q = q.where('status', 'in', ACTIVE);
  else if (f.status) q = q.where('status', '=', f.status);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.model !== undefined) q = q.where('model_name', '=', f.model);
  const b = page.before;
  if (b) q = q.where((eb) => eb.or([eb('opened_at', '<', b.at), eb.and([eb('opened_at', '=', b.at), eb('id', '<', b.id)])]));
  return q.orderBy('opened_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}

/** Active alerts (open or acknowledged), for /health, /metrics and the system view. */
export async function activeAlertRows(x: Executor, scope: TenantScope): Promise<Array<Pick<AlertRow, 'tenant_id' | 'model_name' | 'type' | 'severity' | 'status'>>> {
  return inScope(x.selectFrom('alerts').select(['tenant_id', 'model_name', 'type', 'severity', 'status']).where('status', 'in', ACTIVE), scope).execute();
}

/** Active alerts by type and severity, for /metrics. */
export async function activeAlertCounts(x: Executor): Promise<Array<{ type: string; severity: string; n: number }>> {
  const rows = await x
    .selectFrom('alerts')
    .select(['type', 'severity', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ACTIVE)
    .groupBy(['type', 'severity'])
    .execute();
  return rows.map((r) => ({ type: r.type, severity: r.severity, n: Number(r.n) }));
}
