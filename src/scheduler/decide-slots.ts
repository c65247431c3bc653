/**
 * Decides the fate of every due slot of a batch of locked schedules, inside the caller's
 * transaction: slot rows (the exactly-once guard), run rows, and each schedule moved forward.
 */
import type { JobDefinition } from '../config/types.ts';
import { newId } from '../ids.ts';
import { attemptsAllowed } from '../runs/retry-policy.ts';
import { SLOT_FATE, type SlotFate } from '../runs/states.ts';
import { jitterFor, onTimeToleranceFor, planDue, type DuePlan, type SlotDecision } from '../schedule/index.ts';
import { lockRunKeys, type DialectName, type Executor } from '../store/db.ts';
import { activeRunsByKey, insertRuns, runKey, runValues, type RunRow } from '../store/runs.ts';
import { advanceSchedules, type ScheduleAdvance, type ScheduleRow } from '../store/schedules.ts';
import { insertSlots, slotKey, type SlotRow } from '../store/slots.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { dueAtOf, timingOf } from './schedule-timing.ts';

export interface DecidedSlot {
  slot: SlotRow;
  run: RunRow | null;
}

export interface DecideContext {
  x: Executor;
  dialect: DialectName;
  now: number;
  nodeId: string;
  jobs: ReadonlyMap<string, JobDefinition>;
}

interface Pending {
  row: ScheduleRow;
  decision: SlotDecision;
}

export async function decideSlots(ctx: DecideContext, schedules: readonly ScheduleRow[]): Promise<DecidedSlot[]> {
  const pending: Pending[] = [];
  const advances: ScheduleAdvance[] = [];
  for (const row of schedules) {
    const plan = planFor(row, ctx.now);
    for (const decision of withOmittedNoted(plan)) pending.push({ row, decision });
    advances.push({ id: row.id, expectedNextSlotAt: row.next_slot_at, nextSlotAt: plan.nextSlotAt, dueAt: dueAtOf(row.id, plan.nextSlotAt, row.jitter_ms), now: ctx.now });
  }
  // Compare-and-set on every schedule: if any moved under us, the whole batch rolls back.
  const moved = await advanceSchedules(ctx.x, ALL_TENANTS, advances);
  if (moved !== advances.length) throw new Error(`${advances.length - moved} schedule(s) advanced concurrently; batch rolled back`);
  if (pending.length === 0) return [];

  // Fates are decided before the insert so each slot is written once, final. The slot key still
  // guards exactly-once: a slot another process decided is not inserted, and neither is its run.
  const keys = schedules.map((s) => ({ tenantId: s.tenant_id, jobId: s.job_id }));
  // The overlap check reads, then writes: serialize it with triggers and other nodes for these keys.
  await lockRunKeys(ctx.x, ctx.dialect, keys);
  const active = await activeRunsByKey(ctx.x, keys);
  const decided: DecidedSlot[] = pending.map(({ row, decision }) => {
    const slot = initialSlot(row, decision, ctx);
    return { slot, run: decision.action === 'fire' ? fireSlot(row, decision, slot, active, ctx) : null };
  });
  const inserted = await insertSlots(ctx.x, decided.map((d) => d.slot));
  const mine = decided.filter((d) => inserted.has(slotKey(d.slot.schedule_id, d.slot.slot_at)));
  await insertRuns(ctx.x, mine.flatMap((d) => (d.run ? [d.run] : [])));
  return mine;
}

/**
 * After very long downtime the plan lists only the newest slots and counts the older ones; the
 * count goes on the oldest listed slot, so the gap is recorded rather than silently dropped.
 */
function withOmittedNoted(plan: DuePlan): SlotDecision[] {
  const omitted = plan.omittedMissed + plan.omittedCoalesced + plan.omittedSkipped;
  if (omitted === 0) return plan.decisions;
  const [oldest, ...rest] = plan.decisions;
  if (!oldest) return plan.decisions;
  const note = `${omitted} older slots not listed one by one (missed ${plan.omittedMissed}, coalesced ${plan.omittedCoalesced}, skipped ${plan.omittedSkipped})`;
  return [{ ...oldest, reason: oldest.reason ? `${oldest.reason}; ${note}` : note }, ...rest];
}

function planFor(row: ScheduleRow, now: number): DuePlan {
  if (row.next_slot_at === null) return { decisions: [], nextSlotAt: null, omittedMissed: 0, omittedCoalesced: 0, omittedSkipped: 0 };
  return planDue({
    timing: timingOf(row),
    firstSlotAt: row.next_slot_at,
    now,
    misfireGraceMs: row.misfire_grace_ms,
    catchUp: row.catch_up as 'latest' | 'skip' | 'all',
    catchUpMax: row.catch_up_max,
    // Jitter delays a slot on purpose; that delay is not lateness. On time means within a minute
    // of the due time, or within the misfire grace if that is shorter.
    dueDelayOf: (slotAt) => jitterFor(row.id, slotAt, row.jitter_ms),
  });
}

const PLAN_FATE: Record<SlotDecision['action'], SlotFate> = {
  fire: SLOT_FATE.fired,
  coalesced: SLOT_FATE.skipped,
  catch_up_skipped: SLOT_FATE.skipped,
  missed: SLOT_FATE.missed,
};

function initialSlot(row: ScheduleRow, d: SlotDecision, ctx: DecideContext): SlotRow {
  return {
    schedule_id: row.id,
    slot_at: d.slotAt,
    tenant_id: row.tenant_id,
    job_id: row.job_id,
    fate: PLAN_FATE[d.action],
    reason: d.reason ?? null,
    late_ms: Math.max(0, ctx.now - (dueAtOf(row.id, d.slotAt, row.jitter_ms) ?? d.slotAt)),
    run_id: null,
    decided_at: ctx.now,
    decided_by: ctx.nodeId,
  };
}

/** Turns a slot into a queued run, or a skipped one when the schedule or its overlap policy says so. */
function fireSlot(row: ScheduleRow, d: SlotDecision, slot: SlotRow, active: Map<string, RunRow[]>, ctx: DecideContext): RunRow {
  const key = runKey(row.tenant_id, row.job_id);
  const job = ctx.jobs.get(row.job_id);
  const current = active.get(key) ?? [];
  let skipReason: string | null = null;
  if (!job) skipReason = `job "${row.job_id}" is not defined`;
  else if (row.enabled !== 1) skipReason = 'schedule disabled';
  else skipReason = overlapReason(row.overlap, current);
  const lateMs = slot.late_ms;
  const late = lateMs > onTimeToleranceFor(row.misfire_grace_ms);
  // A skipped slot keeps what the plan said of it (catch-up, "N older late slots coalesced").
  const said = [late ? `late by ${Math.round(lateMs / 1000)}s` : null, d.reason ?? null];
  const reason = [skipReason, ...said].filter(Boolean).join('; ') || null;
  const run = runValues({
    id: newId('run', ctx.now),
    tenantId: row.tenant_id,
    jobId: row.job_id,
    trigger: 'slot',
    status: skipReason ? 'skipped' : 'queued',
    maxAttempts: job ? attemptsAllowed(job.retry) : 1,
    timeoutMs: job?.timeoutMs ?? 0,
    runAt: ctx.now,
    now: ctx.now,
    scheduleId: row.id,
    slotAt: d.slotAt,
    lateMs,
    reason,
  });
  if (!skipReason) active.set(key, [...current, run]);
  slot.run_id = run.id;
  slot.fate = skipReason ? SLOT_FATE.skipped : late ? SLOT_FATE.firedLate : SLOT_FATE.fired;
  slot.reason = reason;
  return run;
}

function overlapReason(policy: string, current: readonly RunRow[]): string | null {
  const running = current.find((r) => r.status === 'running');
  const queued = current.find((r) => r.status === 'queued');
  if (policy === 'queue_one') return queued ? `overlap: run ${queued.id} is already queued (policy queue_one)` : null;
  const busy = running ?? queued;
  return busy ? `overlap: run ${busy.id} is still ${busy.status} (policy skip)` : null;
}
