/**
 * Schedules: list, read, create or update by id, delete, enable and disable. Every change wakes the
 * scheduler of this process; other nodes see it at their next look at the store. A schedule of
 * another tenant than the scope asked for is not found, and stays as it was.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { ScheduleDefinition } from '../config/types.ts';
import { notFound } from '../errors.ts';
import { contextLogger } from '../log-context.ts';
import { checkScheduleRanges } from '../schedule/index.ts';
import { upsertScheduleDefinition, type ScheduleUpsertResult } from '../scheduler/schedule-sync.ts';
import { inTransaction, LOCK_KEYS, type Db } from '../store/db.ts';
import { deleteSchedule, getScheduleRow, listSchedules, nextDueAt, setScheduleEnabled, type ScheduleFilter, type ScheduleRow } from '../store/schedules.ts';
import { listScheduleSlotsNewestFirst, type SlotRow } from '../store/slots.ts';
import type { TenantScope } from '../store/tenant-scope.ts';
import type { JobService } from './job-service.ts';
import type { TenantService } from './tenant-service.ts';

import { NO_AUDIT, type AuditRecorder } from './audit-service.ts';

export interface ScheduleServiceDeps {
  /** Where each change is recorded (audit-service.ts); none in tests of this service alone. */
  audit?: AuditRecorder;
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs: JobService;
  tenants: TenantService;
  /** Look at the schedules now (a change may move the next slot earlier). */
  wakeScheduler: () => void;
}

export class ScheduleService {
  readonly #d: ScheduleServiceDeps;
  readonly #audit: AuditRecorder;

  constructor(deps: ScheduleServiceDeps) {
    this.#d = deps;
    this.#audit = deps.audit ?? NO_AUDIT;
  }

  get now(): number {
    return this.#d.clock.now();
  }

  list(scope: TenantScope, filter: ScheduleFilter = {}): Promise<ScheduleRow[]> {
    return listSchedules(this.#d.db.k, scope, filter);
  }

  async get(scope: TenantScope, id: string): Promise<ScheduleRow> {
    const row = await getScheduleRow(this.#d.db.k, scope, id);
    if (!row) throw notFound('schedule', id);
    return row;
  }

  /** A schedule's slot fates, newest first: fired, fired late (by how much), skipped (why), missed. */
  async slots(scope: TenantScope, id: string, page: { before?: number; limit: number }): Promise<SlotRow[]> {
    await this.get(scope, id);
    return listScheduleSlotsNewestFirst(this.#d.db.k, scope, id, page);
  }

  /** When the job's next run is due (of the tenant, or of any tenant). */
  nextDueAt(scope: TenantScope, jobId: string): Promise<number | null> {
    return nextDueAt(this.#d.db.k, scope, jobId);
  }

  async upsert(def: ScheduleDefinition): Promise<{ result: ScheduleUpsertResult; schedule: ScheduleRow }> {
    return this.#audit.track((r: { result: ScheduleUpsertResult; schedule: ScheduleRow }) => ({ action: 'schedule.upsert', tenantId: def.tenantId, target: `schedule/${def.id}`, after: { result: r.result, jobId: def.jobId, cron: def.cron, everyMs: def.everyMs, timezone: def.timezone, enabled: def.enabled } }), async () => {
      const { db, clock, logger } = this.#d;
      checkScheduleRanges(def);
      await this.#d.jobs.require(def.jobId);
      await this.#d.tenants.require(def.tenantId);
      await this.#d.jobs.requireFor(def.jobId, def.tenantId);
      const result = await inTransaction(db, (x) => upsertScheduleDefinition(x, def, clock.now(), 'api'), { lock: LOCK_KEYS.sync });
      this.#d.wakeScheduler();
      contextLogger(logger).info({ scheduleId: def.id, tenantId: def.tenantId, jobId: def.jobId, result }, 'schedule upserted');
      return { result, schedule: await this.get(def.tenantId, def.id) };
    });
  }

  async delete(scope: TenantScope, id: string): Promise<void> {
    return this.#audit.track({ action: 'schedule.delete', tenantId: typeof scope === 'string' ? scope : null, target: `schedule/${id}`, after: null }, async () => {
      const { db, clock, logger } = this.#d;
      if (!(await inTransaction(db, (x) => deleteSchedule(x, scope, id, clock.now())))) throw notFound('schedule', id);
      contextLogger(logger).info({ scheduleId: id }, 'schedule deleted');
    });
  }

  async setEnabled(scope: TenantScope, id: string, enabled: boolean): Promise<ScheduleRow> {
    return this.#audit.track((row: ScheduleRow) => ({ action: enabled ? 'schedule.enable' : 'schedule.disable', tenantId: row.tenant_id, target: `schedule/${id}`, after: { enabled } }), async () => {
      const { db, clock, logger } = this.#d;
      if (!(await inTransaction(db, (x) => setScheduleEnabled(x, scope, id, enabled, clock.now())))) throw notFound('schedule', id);
      this.#d.wakeScheduler();
      contextLogger(logger).info({ scheduleId: id }, enabled ? 'schedule enabled' : 'schedule disabled');
      return this.get(scope, id);
    });
  }
}
