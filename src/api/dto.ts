/** Store rows → the JSON the API shows: camelCase, ISO-8601 times, parsed JSON columns. */
import type { RunView } from '../services/run-service.ts';
import { describeTiming, isoInZone, nextSlots } from '../schedule/index.ts';
import { timingOf } from '../scheduler/schedule-timing.ts';
import type { JobHealthRow } from '../store/job-health.ts';
import type { RunSummaryRow } from '../store/runs.ts';
import type { ScheduleRow } from '../store/schedules.ts';
import type { TenantsTable } from '../store/schema.ts';

export function iso(ms: number): string;
export function iso(ms: number | null | undefined): string | null;
export function iso(ms: number | null | undefined): string | null {
  return ms == null ? null : new Date(ms).toISOString();
}
const json = <T>(text: string | null): T | null => (text ? (JSON.parse(text) as T) : null);

export function runDto(run: RunSummaryRow & { eta?: number | null }) {
  return {
    id: run.id,
    tenantId: run.tenant_id,
    jobId: run.job_id,
    scheduleId: run.schedule_id,
    slotAt: iso(run.slot_at),
    trigger: run.trigger,
    status: run.status,
    attempt: run.attempt,
    maxAttempts: run.max_attempts,
    maxRetries: run.max_attempts - 1,
    recoveries: run.recoveries,
    interruptions: run.interruptions,
    queuedAt: iso(run.queued_at),
    runAt: iso(run.run_at),
    startedAt: iso(run.started_at),
    finishedAt: iso(run.finished_at),
    durationMs: run.duration_ms,
    lateMs: run.late_ms,
    eta: iso(run.eta ?? null),
    exitCode: run.exit_code,
    exitSignal: run.exit_signal,
    outcome: run.outcome,
    reason: run.reason,
    error: run.error_code ? { code: run.error_code, message: run.error_message, context: json<Record<string, unknown>>(run.error_context) } : null,
    metrics: json<Record<string, number>>(run.metrics) ?? {},
    parentRunId: run.parent_run_id,
  };
}

export type RunDto = ReturnType<typeof runDto>;

export function scheduleDto(row: ScheduleRow, now: number, upcoming = 5) {
  const timing = timingOf(row);
  const upcomingSlots = row.enabled === 1 ? nextSlots(timing, now, upcoming) : [];
  return {
    id: row.id,
    tenantId: row.tenant_id,
    jobId: row.job_id,
    cron: row.cron,
    everyMs: row.every_ms,
    timezone: row.timezone,
    enabled: row.enabled === 1,
    jitterMs: row.jitter_ms,
    misfireGraceMs: row.misfire_grace_ms,
    catchUp: row.catch_up,
    catchUpMax: row.catch_up_max,
    overlap: row.overlap,
    description: describeTiming(timing),
    nextSlotAt: iso(row.next_slot_at),
    nextRuns: upcomingSlots.map((t) => iso(t)),
    nextRunsLocal: upcomingSlots.map((t) => isoInZone(row.timezone, t)),
    updatedAt: iso(row.updated_at),
  };
}

export function tenantDto(row: TenantsTable) {
  return { id: row.id, name: row.name, timezone: row.timezone, createdAt: iso(row.created_at) };
}

export function jobHealthDto(h: JobHealthRow) {
  return {
    jobId: h.jobId,
    lastStatus: h.lastStatus,
    lastFinishedAt: iso(h.lastFinishedAt),
    consecutiveFailures: h.consecutiveFailures,
    running: h.running,
    queued: h.queued,
    nextRunAt: iso(h.nextRunAt),
  };
}

export type { RunView };
