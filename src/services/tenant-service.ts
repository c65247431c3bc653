/**
 * Tenants: list, read, create, update, delete, and the tenant a request means when it names none
 * (the only one). Every other service asks this one whether a tenant exists.
 *
 * Creating never overwrites: an id in use is a conflict. A tenant the config file declares is
 * written from the file at every start, so it is changed and deleted there, not over the API. A
 * change is logged as one line with the values before and after; a deletion as one line with what
 * it removed. A tenant that has data is deleted only when forced, and then with all of it: every
 * row in one transaction, then its artifacts.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { TenantDefinition } from '../config/types.ts';
import { NsError, notFound } from '../errors.ts';
import type { EngineEvents } from '../events.ts';
import type { ArtifactStorage } from '../registry/index.ts';
import { contextLogger } from '../log-context.ts';
import { assertTimeZone } from '../schedule/index.ts';
import { inTransaction, LOCK_KEYS, type Db } from '../store/db.ts';
import type { TenantsTable } from '../store/schema.ts';
import { countTenantData, deleteTenantRows, TENANT_TABLES, type TenantDataCounts } from '../store/tenant-data.ts';
import { deleteTenant, getTenant, insertTenant, listTenants, updateTenant } from '../store/tenants.ts';

export type TenantRow = TenantsTable;

import { NO_AUDIT, type AuditRecorder } from './audit-service.ts';

export interface TenantServiceDeps {
  /** Where each change is recorded (audit-service.ts); none in tests of this service alone. */
  audit?: AuditRecorder;
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EngineEvents;
  /** NIGHTSHIFT_TIMEZONE: the zone of a tenant created without one. */
  defaultTimezone: string;
  /** Ids of the tenants the configuration declares (rewritten from it at every start). */
  declared: ReadonlySet<string>;
  /** Where the tenant's model artifacts are: they go with it. */
  artifacts: ArtifactStorage;
}

export interface TenantChange {
  name?: string | undefined;
  timezone?: string | undefined;
}

/** What a deletion removed: rows by kind, and artifacts. */
export type TenantDeletion = Omit<TenantDataCounts, 'running'> & { artifacts: number };

export class TenantService {
  readonly #d: TenantServiceDeps;
  readonly #audit: AuditRecorder;

  constructor(deps: TenantServiceDeps) {
    this.#d = deps;
    this.#audit = deps.audit ?? NO_AUDIT;
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

  /** Creates a tenant (name defaults to the id, zone to NIGHTSHIFT_TIMEZONE); NS_CONFLICT naming `id` when the id is taken. */
  async create(input: { id: string } & TenantChange): Promise<TenantRow> {
    return this.#audit.track((t: TenantRow) => ({ action: 'tenant.create', tenantId: t.id, target: `tenant/${t.id}`, after: { name: t.name, timezone: t.timezone } }), async () => {
      const { db, clock, logger } = this.#d;
      const definition: TenantDefinition = { id: input.id, name: input.name ?? input.id, timezone: zone(input.timezone ?? this.#d.defaultTimezone) };
      if (!(await inTransaction(db, (x) => insertTenant(x, definition, clock.now())))) {
        throw new NsError('NS_CONFLICT', `id: tenant "${input.id}" already exists; change it with PUT /api/tenants/${input.id}, or choose another id`, {
          field: 'id',
          details: { id: input.id },
        });
      }
      contextLogger(logger).info({ tenantId: input.id, after: { name: definition.name, timezone: definition.timezone } }, 'tenant created');
      return this.require(input.id);
    });
  }

  /**
   * Changes a tenant's name or zone; the fields left out keep their values. One log line says what
   * changed, before and after. A config-declared tenant is refused (NS_CONFLICT): the file wins.
   */
  async update(id: string, change: TenantChange): Promise<{ changed: boolean; tenant: TenantRow }> {
    return this.#audit.track((r: { changed: boolean; tenant: TenantRow }) => ({ action: 'tenant.update', tenantId: id, target: `tenant/${id}`, after: { changed: r.changed, name: r.tenant.name, timezone: r.tenant.timezone } }), async () => {
      const { db, clock, logger } = this.#d;
      const after = change.timezone === undefined ? undefined : zone(change.timezone);
      this.#refuseDeclared(id, 'changed');
      const result = await inTransaction(db, async (x) => {
        const before = await getTenant(x, id);
        if (!before) throw notFound('tenant', id);
        const next: TenantDefinition = { id, name: change.name ?? before.name, timezone: after ?? before.timezone };
        if (next.name === before.name && next.timezone === before.timezone) return { before, next, changed: false };
        await updateTenant(x, next, clock.now());
        return { before, next, changed: true };
      });
      if (result.changed) {
        const fields = (['name', 'timezone'] as const).filter((k) => result.before[k] !== result.next[k]);
        contextLogger(logger).info(
          {
            tenantId: id,
            changed: fields,
            before: Object.fromEntries(fields.map((k) => [k, result.before[k]])),
            after: Object.fromEntries(fields.map((k) => [k, result.next[k]])),
          },
          'tenant updated',
        );
      }
      return { changed: result.changed, tenant: await this.require(id) };
    });
  }

  /**
   * Deletes a tenant. While it has data (schedules, runs, datasets, models, versions) it is refused
   * (NS_CONFLICT naming `force`) unless forced; forced, all its rows go in one transaction, then its
   * artifacts. Never while one of its runs is running, nor for a config-declared tenant.
   */
  async delete(id: string, options: { force?: boolean } = {}): Promise<TenantDeletion> {
    return this.#audit.track((deleted: TenantDeletion) => ({ action: 'tenant.delete', tenantId: id, target: `tenant/${id}`, before: { ...deleted }, after: null }), async () => {
      const { db, logger, artifacts } = this.#d;
      this.#refuseDeclared(id, 'deleted');
      const deleted = await inTransaction(
        db,
        async (x) => {
          if (!(await getTenant(x, id))) throw notFound('tenant', id);
          const counts = await countTenantData(x, id);
          const { running, ...data } = counts;
          if (running > 0) {
            throw new NsError('NS_CONFLICT', `tenant "${id}" has ${running} run(s) running; cancel them (POST /api/runs/:id/cancel) and delete it once they ended`, {
              field: 'id',
              details: { ...counts },
            });
          }
          const held = Object.entries(data).filter(([, n]) => n > 0);
          if (held.length > 0 && !options.force) {
            throw new NsError('NS_CONFLICT', `tenant "${id}" still has ${held.map(([k, n]) => `${n} ${k}`).join(', ')}; delete them first, or send force=true to delete the tenant with all its data`, {
              field: 'force',
              details: { ...data },
            });
          }
          for (const table of TENANT_TABLES) await deleteTenantRows(x, table, id);
          const inStore = artifacts.transactional ? await artifacts.removeTenant(x, id) : 0;
          await deleteTenant(x, id);
          return { ...data, artifacts: inStore };
        },
        { lock: LOCK_KEYS.sync },
      );
      // Files are not in the transaction: they go once the rows are gone for good.
      if (!artifacts.transactional) deleted.artifacts = await artifacts.removeTenant(db.k, id);
      this.#d.events.emit('tenant:deleted', { tenantId: id });
      contextLogger(logger).info({ tenantId: id, force: options.force === true, deleted }, 'tenant deleted');
      return deleted;
    });
  }

  #refuseDeclared(id: string, what: 'changed' | 'deleted'): void {
    if (!this.#d.declared.has(id)) return;
    throw new NsError('NS_CONFLICT', `id: tenant "${id}" is declared in the configuration, which is applied at every start; it is ${what} there, not over the API`, {
      field: 'id',
      details: { id, declared: true },
    });
  }
}

/** The zone's canonical IANA name; NS_VALIDATION naming `timezone` when it is not one. */
function zone(given: string): string {
  try {
    return assertTimeZone(given, 'timezone');
  } catch (error) {
    throw new NsError('NS_VALIDATION', (error as Error).message, { field: 'timezone', cause: error });
  }
}
