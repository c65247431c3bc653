import type { ScheduleDefinition } from '../config/types.ts';
import { CompiledQuery } from 'kysely';
import { notFound } from '../errors.ts';
import { valueTuples } from './bulk-statements.ts';
import type { DialectName, Executor } from './db.ts';
import type { SchedulesTable } from './schema.ts';
import { inScope, type ALL_TENANTS, type TenantScope } from './tenant-scope.ts';

export type ScheduleRow = SchedulesTable;

export interface SchedulePlacement {
  timingHash: string;
  nextSlotAt: number | null;
  dueAt: number | null;
}

export function scheduleValues(def: ScheduleDefinition, placement: SchedulePlacement, now: number, declaredHash: string | null = null): ScheduleRow {
  return {
    id: def.id,
    tenant_id: def.tenantId,
    job_id: def.jobId,
    cron: def.cron,
    every_ms: def.everyMs,
    timezone: def.timezone,
    enabled: def.enabled ? 1 : 0,
    jitter_ms: def.jitterMs,
    misfire_grace_ms: def.misfireGraceMs,
    catch_up: def.catchUp,
    catch_up_max: def.catchUpMax,
    overlap: def.overlap,
    timing_hash: placement.timingHash,
    next_slot_at: placement.nextSlotAt,
    due_at: placement.dueAt,
    created_at: now,
    updated_at: now,
    declared_hash: declaredHash,
    deleted_at: null,
  };
}

/** A live schedule; with includeDeleted, its tombstone too. */
export async function getScheduleRow(x: Executor, scope: TenantScope, id: string, includeDeleted = false): Promise<ScheduleRow | undefined> {
  let q = inScope(x.selectFrom('schedules').selectAll().where('id', '=', id), scope);
  if (!includeDeleted) q = q.where('deleted_at', 'is', null);
  return q.executeTakeFirst();
}

export async function insertSchedule(x: Executor, row: ScheduleRow): Promise<void> {
  await x.insertInto('schedules').values(row).execute();
}

/**
 * Rewrites a schedule's definition; placement fields only when given (a timing change re-plans).
 * The tenant is a key here, never a value: a rewrite cannot move a schedule to another tenant.
 */
export async function updateSchedule(x: Executor, tenantId: string, row: ScheduleRow, replanned: boolean): Promise<void> {
  const { id, tenant_id: _tenant, created_at: _created, next_slot_at, due_at, declared_hash: _declared, ...rest } = row;
  const values = replanned ? { ...rest, next_slot_at, due_at } : rest;
  const result = await x.updateTable('schedules').set(values).where('id', '=', id).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw notFound('schedule', id);
}

/** Leaves a tombstone: the schedule stops firing and disappears from listings; its history stays. */
export async function deleteSchedule(x: Executor, scope: TenantScope, id: string, now: number): Promise<boolean> {
  const q = x
    .updateTable('schedules')
    .set({ deleted_at: now, enabled: 0, next_slot_at: null, due_at: null, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null);
  const result = await inScope(q, scope).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function setDeclaredHash(x: Executor, tenantId: string, id: string, hash: string): Promise<void> {
  await x.updateTable('schedules').set({ declared_hash: hash }).where('id', '=', id).where('tenant_id', '=', tenantId).execute();
}

export async function setScheduleEnabled(x: Executor, scope: TenantScope, id: string, enabled: boolean, now: number): Promise<boolean> {
  const q = x
    .updateTable('schedules')
    .set({ enabled: enabled ? 1 : 0, updated_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null);
  const result = await inScope(q, scope).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface ScheduleFilter {
  jobId?: string;
  /** A page: ids after this one (ids are unique across tenants). */
  afterId?: string;
  limit?: number;
}

export async function listSchedules(x: Executor, scope: TenantScope, filter: ScheduleFilter = {}): Promise<ScheduleRow[]> {
  let q = inScope(x.selectFrom('schedules').selectAll().where('deleted_at', 'is', null), scope);
  if (filter.jobId) q = q.where('job_id', '=', filter.jobId);
  if (filter.afterId !== undefined) q = q.where('id', '>', filter.afterId);
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  return q.orderBy('id').execute();
}

/**
 * Due schedules, oldest first. On PostgreSQL the rows are locked and rows another node holds are
 * skipped, so nodes share the work instead of queueing behind each other.
 */
export async function lockDueSchedules(x: Executor, scope: typeof ALL_TENANTS, dialect: DialectName, now: number, limit: number): Promise<ScheduleRow[]> {
  const q = x
    .selectFrom('schedules')
    .selectAll()
    .where('due_at', '<=', now)
    .orderBy('due_at')
    .orderBy('id')
    .limit(limit);
  return dialect === 'postgres' ? q.forUpdate().skipLocked().execute() : q.execute();
}

export interface ScheduleAdvance {
  id: string;
  expectedNextSlotAt: number | null;
  nextSlotAt: number | null;
  dueAt: number | null;
  now: number;
}

/**
 * Moves a batch of schedules past the slots just decided, in one statement (a round trip per schedule made a
 * 10,000-schedule burst slow on PostgreSQL). Returns how many rows matched their expected slot.
 */
export async function advanceSchedules(x: Executor, scope: typeof ALL_TENANTS, items: readonly ScheduleAdvance[]): Promise<number> {
  let moved = 0;
  for (let i = 0; i < items.length; i += 200) {
    const chunk = items.slice(i, i + 200);
    // Text with placeholders, not sql`` fragments per value: see bulk-statements.ts.
    const values = valueTuples(x, chunk.length, [null, 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT']);
    const result = await x.executeQuery(
      CompiledQuery.raw(
        `WITH v(id, expected, next_slot, due, now) AS (VALUES ${values})
         UPDATE schedules SET next_slot_at = v.next_slot, due_at = v.due, updated_at = v.now
         FROM v
         WHERE schedules.id = v.id AND schedules.next_slot_at IS NOT DISTINCT FROM v.expected`,
        chunk.flatMap((a) => [a.id, a.expectedNextSlotAt, a.nextSlotAt, a.dueAt, a.now]),
      ),
    );
    moved += Number(result.numAffectedRows ?? 0);
  }
  return moved;
}

/** When the scheduler must next look: the earliest due time of any schedule. */
export async function earliestDueAt(x: Executor, scope: typeof ALL_TENANTS): Promise<number | null> {
  const row = await x.selectFrom('schedules').select((eb) => eb.fn.min('due_at').as('due')).executeTakeFirst();
  return row?.due == null ? null : Number(row.due);
}

/**
 * A job's next run: the earliest due time (slot plus jitter) of its enabled, live schedules, for
 * one tenant or all. The one definition every "next run" shown anywhere uses.
 */
export async function nextDueAt(x: Executor, scope: TenantScope, jobId: string): Promise<number | null> {
  const q = x
    .selectFrom('schedules')
    .select((eb) => eb.fn.min('due_at').as('due'))
    .where('job_id', '=', jobId)
    .where('enabled', '=', 1)
    .where('deleted_at', 'is', null);
  const row = await inScope(q, scope).executeTakeFirst();
  return row?.due == null ? null : Number(row.due);
}
