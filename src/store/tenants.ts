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
