import { createHash } from 'node:crypto';
import type { ScheduleDefinition, Settings } from '../config/types.ts';
import { inTransaction, LOCK_KEYS, type Db, type Executor } from '../store/db.ts';
import { upsertJob } from '../store/jobs.ts';
import { upsertModelDefinition } from '../store/model-definitions.ts';
import { scheduleOwnedByAnotherTenant } from '../errors.ts';
import { SLOT_FATE } from '../runs/states.ts';
import { nextSlots } from '../schedule/index.ts';
import { getScheduleRow, insertSchedule, scheduleValues, setDeclaredHash, updateSchedule, type ScheduleRow } from '../store/schedules.ts';
import { insertSlots } from '../store/slots.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { upsertTenant } from '../store/tenants.ts';
import { definitionTiming, dueAtOf, firstSlotAfter, timingHash, timingOf } from './schedule-timing.ts';

export type ScheduleUpsertResult = 'created' | 'updated' | 'unchanged';

/** Who is writing a schedule: the config file at start-up, or the API at run time. */
export type ScheduleOrigin = 'config' | 'api';

const definitionHash = (def: ScheduleDefinition) => createHash('sha1').update(JSON.stringify(def)).digest('hex').slice(0, 16);

/**
 * Writes one schedule definition, keyed by id: redeploying the same definition changes nothing.
 * A changed timing re-plans from now (slots already decided stay decided); other changes keep the
 * pending slot, so a reload never fires or drops a slot by itself.
 *
 * From config, a definition is applied only when it differs from what config last applied
 * (declared_hash): edits and deletions made over the API since then survive a restart, until the
 * config file itself changes that schedule.
 *
 * An id stays with the tenant that first defined it, even once deleted: redefining it for another
 * tenant is refused, from config or API alike.
 */
export async function upsertScheduleDefinition(x: Executor, def: ScheduleDefinition, now: number, origin: ScheduleOrigin): Promise<ScheduleUpsertResult> {
  const hash = timingHash(definitionTiming(def));
  const declared = origin === 'config' ? definitionHash(def) : null;
  // Across tenants: schedule ids are global, so an id another tenant holds must be seen to be refused.
  const existing = await getScheduleRow(x, ALL_TENANTS, def.id, true);
  const plan = (): { nextSlotAt: number | null; dueAt: number | null } => {
    const nextSlotAt = firstSlotAfter(definitionTiming(def), now);
    return { nextSlotAt, dueAt: dueAtOf(def.id, nextSlotAt, def.jitterMs) };
  };
  if (!existing) {
    await insertSchedule(x, scheduleValues(def, { timingHash: hash, ...plan() }, now, declared));
    return 'created';
  }
  if (existing.tenant_id !== def.tenantId) throw scheduleOwnedByAnotherTenant(def.id, existing.tenant_id, def.tenantId, existing.deleted_at !== null);
  if (declared !== null && existing.declared_hash === declared) return 'unchanged';
  if (declared !== null) await setDeclaredHash(x, def.tenantId, def.id, declared);
  const revived = existing.deleted_at !== null;
  const replanned = revived || existing.timing_hash !== hash;
  if (replanned && !revived) await recordSuperseded(x, existing, now);
  const placement = replanned
    ? plan()
    : { nextSlotAt: existing.next_slot_at, dueAt: dueAtOf(def.id, existing.next_slot_at, def.jitterMs) };
  const row = scheduleValues(def, { timingHash: hash, ...placement }, now);
  const same =
    !replanned &&
    (Object.keys(row) as (keyof typeof row)[]).every((k) => ['created_at', 'updated_at', 'declared_hash'].includes(k) || row[k] === existing[k]);
  if (same) return declared !== null && existing.declared_hash === null ? 'updated' : 'unchanged';
  await updateSchedule(x, def.tenantId, { ...row, created_at: revived ? now : existing.created_at }, replanned || placement.dueAt !== existing.due_at);
  return revived ? 'created' : 'updated';
}

/** At most this many superseded slots are recorded one by one when a timing changes. */
const SUPERSEDED_MAX = 1_000;

/**
 * A timing change re-plans from now. Slots of the old timing that were already due but not yet
 * decided (the scheduler was down) get their fate recorded here rather than vanishing.
 */
async function recordSuperseded(x: Executor, row: ScheduleRow, now: number): Promise<void> {
  if (row.next_slot_at === null || row.next_slot_at > now) return;
  const old = timingOf(row);
  const slots = [row.next_slot_at, ...nextSlots(old, row.next_slot_at, SUPERSEDED_MAX - 1)].filter((t) => t <= now);
  await insertSlots(
    x,
    slots.map((slotAt) => ({
      schedule_id: row.id,
      slot_at: slotAt,
      tenant_id: row.tenant_id,
      job_id: row.job_id,
      fate: SLOT_FATE.skipped,
      reason: 'the schedule timing changed before this slot was decided',
      late_ms: now - slotAt,
      run_id: null,
      decided_at: now,
      decided_by: 'schedule-update',
    })),
  );
}

export interface SyncSummary {
  tenants: number;
  jobs: number;
  schedules: Record<ScheduleUpsertResult, number>;
}

/** Declared tenants, jobs and schedules → store, in one transaction. */
export async function syncDefinitions(db: Db, settings: Pick<Settings, 'tenants' | 'jobs' | 'schedules' | 'models'>, now: number): Promise<SyncSummary> {
  return inTransaction(db, async (tx) => {
    for (const tenant of settings.tenants) await upsertTenant(tx, tenant, now);
    for (const job of settings.jobs) await upsertJob(tx, job, now);
    for (const model of settings.models) {
      for (const tenant of settings.tenants) {
        if (model.tenants === null || model.tenants.includes(tenant.id)) await upsertModelDefinition(tx, tenant.id, model.definition, model.jobId, 'config', now);
      }
    }
    const counts: Record<ScheduleUpsertResult, number> = { created: 0, updated: 0, unchanged: 0 };
    for (const schedule of settings.schedules as ScheduleDefinition[]) counts[await upsertScheduleDefinition(tx, schedule, now, 'config')] += 1;
    return { tenants: settings.tenants.length, jobs: settings.jobs.length, schedules: counts };
  }, { lock: LOCK_KEYS.sync });
}
