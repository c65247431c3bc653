import type { TenantDefinition } from '../config/types.ts';
import type { Executor } from './db.ts';
import type { TenantsTable } from './schema.ts';

export async function upsertTenant(x: Executor, tenant: TenantDefinition, now: number): Promise<void> {
  await x
    .insertInto('tenants')
    .values({ id: tenant.id, name: tenant.name, timezone: tenant.timezone, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ name: tenant.name, timezone: tenant.timezone, updated_at: now }))
    .execute();
}

export async function listTenants(x: Executor): Promise<TenantsTable[]> {
  return x.selectFrom('tenants').selectAll().orderBy('id').execute();
}

export async function getTenant(x: Executor, id: string): Promise<TenantsTable | undefined> {
  return x.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Creates the tenant unless its id is taken; false when it was (the row is left as it is). */
export async function insertTenant(x: Executor, tenant: TenantDefinition, now: number): Promise<boolean> {
  const result = await x
    .insertInto('tenants')
    .values({ id: tenant.id, name: tenant.name, timezone: tenant.timezone, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Changes the tenant's name and zone; false when there is no such tenant. */
export async function updateTenant(x: Executor, tenant: TenantDefinition, now: number): Promise<boolean> {
  const result = await x.updateTable('tenants').set({ name: tenant.name, timezone: tenant.timezone, updated_at: now }).where('id', '=', tenant.id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deletes the tenant row (its data must be gone first: tenant-data.ts); false when there was none. */
export async function deleteTenant(x: Executor, id: string): Promise<boolean> {
  const result = await x.deleteFrom('tenants').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
