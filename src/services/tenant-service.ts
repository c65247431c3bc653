/**
 * Tenants: list, read, create or update, and the tenant a request means when it names none (the
 * only one). Every other service asks this one whether a tenant exists.
 */
import type { Logger } from 'pino';
import type { TenantDefinition } from '../config/types.ts';
import { NsError, notFound } from '../errors.ts';
import { contextLogger } from '../log-context.ts';
import { assertTimeZone } from '../schedule/index.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { getTenant, listTenants, upsertTenant } from '../store/tenants.ts';
import type { TenantsTable } from '../store/schema.ts';
import type { Clock } from '../clock.ts';

export type TenantRow = TenantsTable;

export interface TenantServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** NIGHTSHIFT_TIMEZONE: the zone of a tenant created without one. */
  defaultTimezone: string;
}

export class TenantService {
  readonly #d: TenantServiceDeps;

  constructor(deps: TenantServiceDeps) {
    this.#d = deps;
  }

  list(): Promise<TenantRow[]> {
    return listTenants(this.#d.db.k);
  }

  async get(id: string): Promise<TenantRow | undefined> {
    return getTenant(this.#d.db.k, id);
  }

  /** The tenant; NS_NOT_FOUND naming `field` when it does not exist. */
  async require(id: string, field = 'tenant'): Promise<TenantRow> {
    const row = await getTenant(this.#d.db.k, id);
    if (!row) throw new NsError('NS_NOT_FOUND', `tenant "${id}" does not exist`, { field, details: { id } });
    return row;
  }

  async exists(id: string): Promise<boolean> {
    return (await getTenant(this.#d.db.k, id)) !== undefined;
  }

  /** A tenant id from the request, or the only tenant in the store when there is just one. */
  async resolve(given: string | undefined, field = 'tenantId'): Promise<string> {
    if (given) return given;
    const tenants = await listTenants(this.#d.db.k);
    if (tenants.length === 1) return tenants[0]!.id;
    throw new NsError('NS_VALIDATION', `${field}: required when several tenants exist (${tenants.map((t) => t.id).join(', ')})`, { field });
  }

  /** Creates the tenant, or updates its name and zone; the zone defaults to NIGHTSHIFT_TIMEZONE. */
  async upsert(input: { id: string; name?: string | undefined; timezone?: string | undefined }): Promise<{ created: boolean; tenant: TenantRow }> {
    let zone = input.timezone ?? this.#d.defaultTimezone;
    try {
      zone = assertTimeZone(zone, 'timezone');
    } catch (error) {
      throw new NsError('NS_VALIDATION', (error as Error).message, { field: 'timezone' });
    }
    const definition: TenantDefinition = { id: input.id, name: input.name ?? input.id, timezone: zone };
    const before = await inTransaction(this.#d.db, async (x) => {
      const existing = await getTenant(x, input.id);
      await upsertTenant(x, definition, this.#d.clock.now());
      return existing;
    });
    const tenant = await getTenant(this.#d.db.k, input.id);
    if (!tenant) throw notFound('tenant', input.id);
    const log = contextLogger(this.#d.logger);
    if (!before) log.info({ tenantId: tenant.id, tenantName: tenant.name, timezone: tenant.timezone }, 'tenant created');
    else {
      const changes = Object.fromEntries((['name', 'timezone'] as const).filter((k) => before[k] !== tenant[k]).map((k) => [k, { from: before[k], to: tenant[k] }]));
      if (Object.keys(changes).length > 0) log.info({ tenantId: tenant.id, changes }, 'tenant updated');
    }
    return { created: !before, tenant };
  }
}
