/** A tenant's notification channels, and the run of failures each has had. */
import type { Executor } from './db.ts';
import type { NotificationChannelsTable } from './schema.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export type ChannelRow = NotificationChannelsTable;

/** Creates or replaces a channel; its failure count is kept when it exists. */
export async function putChannel(x: Executor, row: Omit<ChannelRow, 'failures' | 'failing'>): Promise<void> {
  await x
    .insertInto('notification_channels')
    .values({ ...row, failures: 0, failing: 0 })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'id']).doUpdateSet({ type: row.type, config: row.config, events: row.events, enabled: row.enabled, origin: row.origin, updated_at: row.updated_at }),
    )
    .execute();
}

export async function listChannelRows(x: Executor, scope: TenantScope): Promise<ChannelRow[]> {
  return inScope(x.selectFrom('notification_channels').selectAll(), scope).orderBy('tenant_id').orderBy('id').execute();
}

/** Whether any tenant has an enabled channel: whether a node has anything it may have to deliver. */
export async function anyEnabledChannel(x: Executor): Promise<boolean> {
  const row = await x.selectFrom('notification_channels').select('id').where('enabled', '=', 1).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Replaces a channel's stored settings if they are still `from` (a rotation re-sealing them); false when they changed meanwhile. */
export async function replaceChannelConfig(x: Executor, tenantId: string, id: string, from: string, to: string): Promise<boolean> {
  const result = await x.updateTable('notification_channels').set({ config: to }).where('tenant_id', '=', tenantId).where('id', '=', id).where('config', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function getChannelRow(x: Executor, tenantId: string, id: string): Promise<ChannelRow | undefined> {
  return x.selectFrom('notification_channels').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function deleteChannelRow(x: Executor, tenantId: string, id: string): Promise<boolean> {
  const result = await x.deleteFrom('notification_channels').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Config-declared channels of a tenant that the file no longer declares. */
export async function deleteUndeclaredChannels(x: Executor, tenantId: string, keep: readonly string[]): Promise<number> {
  let q = x.deleteFrom('notification_channels').where('tenant_id', '=', tenantId).where('origin', '=', 'config');
  if (keep.length > 0) q = q.where('id', 'not in', keep);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

/**
 * Records a delivery's outcome on its channel. Returns whether this call moved the channel into or
 * out of failing: the conditional update lets one node only (one transaction) announce a change.
 */
export async function recordChannelOutcome(x: Executor, tenantId: string, id: string, ok: boolean, failingAfter: number, gaveUp: boolean): Promise<{ failures: number; became: 'failing' | 'recovered' | null }> {
  const key = (q: ReturnType<typeof base>) => q.where('tenant_id', '=', tenantId).where('id', '=', id);
  const base = () => x.updateTable('notification_channels');
  if (ok) {
    const recovered = await key(base().set({ failures: 0, failing: 0 })).where('failing', '=', 1).executeTakeFirst();
    if (Number(recovered.numUpdatedRows) > 0) return { failures: 0, became: 'recovered' };
    await key(base().set({ failures: 0 })).where('failures', '>', 0).execute();
    return { failures: 0, became: null };
  }
  const row = await key(base().set((eb) => ({ failures: eb('failures', '+', 1) })))
    .returning(['failures', 'failing'])
    .executeTakeFirst();
  if (!row) return { failures: 0, became: null };
  const failures = Number(row.failures);
  if (Number(row.failing) === 1 || (failures < failingAfter && !gaveUp)) return { failures, became: null };
  const became = await key(base().set({ failing: 1 })).where('failing', '=', 0).executeTakeFirst();
  return { failures, became: Number(became.numUpdatedRows) > 0 ? 'failing' : null };
}
