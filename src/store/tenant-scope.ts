/**
 * Which tenant's rows a store function may see. Every function that queries tenant data takes a
 * scope, so no caller reaches those rows without deciding: most pass their tenant, and the few
 * that rightly work across tenants pass ALL_TENANTS, which a test keeps out of other code.
 */
import type { DeleteQueryBuilder, SelectQueryBuilder, UpdateQueryBuilder } from 'kysely';
import type { Database } from './schema.ts';

/** Cross-tenant work (the scheduler's due scan, the claim queue, lease recovery, retention, the operator's global views) says so explicitly. */
export const ALL_TENANTS: unique symbol = Symbol('all tenants');
export type TenantScope = string | typeof ALL_TENANTS;

/** The tables that hold tenant data: those with a tenant_id column. */
type TenantTable = { [T in keyof Database]: Database[T] extends { tenant_id: string } ? T : never }[keyof Database];

/** The tables a select, update or delete reads or writes. */
type TablesOf<Q> =
  Q extends SelectQueryBuilder<Database, infer TB, infer _O>
    ? TB
    : Q extends UpdateQueryBuilder<Database, infer _UT, infer TB, infer _O>
      ? TB
      : Q extends DeleteQueryBuilder<Database, infer TB, infer _O>
        ? TB
        : never;

/** Kysely's where, as far as this helper uses it; the table check is OnTenantTables' job. */
interface TenantFilterable<Q> {
  where(lhs: 'tenant_id', op: '=', rhs: string): Q;
}

/** A query whose tables all hold tenant data; any other query fails to type-check. */
type OnTenantTables<Q> = [TablesOf<Q>] extends [never] ? never : [TablesOf<Q>] extends [TenantTable] ? unknown : never;

/** Narrows a select, update or delete to the scope's tenant; ALL_TENANTS leaves it as it is. */
export function inScope<Q extends TenantFilterable<Q>>(query: Q & OnTenantTables<Q>, scope: TenantScope): Q {
  return scope === ALL_TENANTS ? query : query.where('tenant_id', '=', scope);
}
