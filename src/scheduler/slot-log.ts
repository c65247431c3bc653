/**
 * The log lines for the slots a tick decided. A slot that queued a run (or recorded a skipped one)
 * gets its own line; the slots that ended without a run — coalesced into a later slot, skipped by
 * the catch-up policy, missed beyond the misfire grace — get one summary line when there are
 * several, so a restart after downtime logs a few lines instead of one per slot. Every slot still
 * has its slot:decided event and its stored fate and reason.
 */
import type { Logger } from 'pino';
import { SLOT_FATE } from '../runs/states.ts';
import type { SlotRow } from '../store/slots.ts';

/** Schedules named one by one in a summary line; the rest are counted. */
const SUMMARY_SCHEDULES_MAX = 20;

type Slot = Pick<SlotRow, 'schedule_id' | 'tenant_id' | 'slot_at' | 'fate' | 'reason' | 'run_id' | 'late_ms'>;

const iso = (ms: number) => new Date(ms).toISOString();

function logSlot(logger: Logger, s: Slot): void {
  const fields = { scheduleId: s.schedule_id, slot: iso(s.slot_at), fate: s.fate, reason: s.reason, runId: s.run_id, lateMs: s.late_ms };
  if (s.fate === SLOT_FATE.missed) logger.warn(fields, 'slot missed');
  else logger.info(fields, s.fate === SLOT_FATE.skipped ? 'slot skipped' : 'slot fired');
}

interface ScheduleSummary {
  scheduleId: string;
  tenantId: string;
  missed: number;
  skipped: number;
  from: string;
  to: string;
}

/** One line for many slots without a run: counts by fate, the time span, and per schedule. */
function logSummary(logger: Logger, quiet: readonly Slot[]): void {
  const bySchedule = new Map<string, { tenantId: string; missed: number; skipped: number; from: number; to: number }>();
  for (const s of quiet) {
    const entry = bySchedule.get(s.schedule_id) ?? { tenantId: s.tenant_id, missed: 0, skipped: 0, from: s.slot_at, to: s.slot_at };
    if (s.fate === SLOT_FATE.missed) entry.missed += 1;
    else entry.skipped += 1;
    entry.from = Math.min(entry.from, s.slot_at);
    entry.to = Math.max(entry.to, s.slot_at);
    bySchedule.set(s.schedule_id, entry);
  }
  const schedules: ScheduleSummary[] = [...bySchedule]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([scheduleId, e]) => ({ scheduleId, tenantId: e.tenantId, missed: e.missed, skipped: e.skipped, from: iso(e.from), to: iso(e.to) }));
  const missed = quiet.filter((s) => s.fate === SLOT_FATE.missed).length;
  const fields = {
    slots: quiet.length,
    missed,
    skipped: quiet.length - missed,
    schedules: schedules.length,
    from: iso(quiet.reduce((t, s) => Math.min(t, s.slot_at), Infinity)),
    to: iso(quiet.reduce((t, s) => Math.max(t, s.slot_at), -Infinity)),
    bySchedule: schedules.slice(0, SUMMARY_SCHEDULES_MAX),
    ...(schedules.length > SUMMARY_SCHEDULES_MAX ? { moreSchedules: schedules.length - SUMMARY_SCHEDULES_MAX } : {}),
  };
  if (missed > 0) logger.warn(fields, 'slots coalesced or missed');
  else logger.info(fields, 'slots coalesced or missed');
}

export function logDecidedSlots(logger: Logger, slots: readonly Slot[]): void {
  const quiet = slots.filter((s) => s.run_id === null);
  const summarize = quiet.length > 1;
  for (const s of slots) if (!summarize || s.run_id !== null) logSlot(logger, s);
  if (summarize) logSummary(logger, quiet);
}
