import { jobTries } from '../runs/retry-policy.ts';
import type { RunRow } from '../store/runs.ts';

const iso = (ms: number | null | undefined) => (ms == null ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z'));

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '-';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m}m${Math.round(s % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

export function table(rows: ReadonlyArray<Record<string, string>>, columns: readonly string[]): string {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n');
}

export function runLine(run: RunRow): Record<string, string> {
  return {
    id: run.id,
    tenant: run.tenant_id,
    job: run.job_id,
    status: run.status,
    trigger: run.trigger,
    attempt: attemptText(run),
    queued: iso(run.queued_at),
    duration: formatDuration(run.duration_ms),
    note: run.outcome ?? run.error_message ?? run.reason ?? '',
  };
}

/** The job's own tries of its allowance ("2/3"), then the executions put back through no fault of the job. */
function attemptText(run: RunRow): string {
  const putBack = [run.recoveries > 0 ? `${run.recoveries} lost` : '', run.interruptions > 0 ? `${run.interruptions} interrupted` : ''].filter(Boolean);
  return `${jobTries(run)}/${run.max_attempts}${putBack.length > 0 ? ` (+${putBack.join(', ')})` : ''}`;
}

export const RUN_COLUMNS = ['id', 'tenant', 'job', 'status', 'trigger', 'attempt', 'queued', 'duration', 'note'] as const;

export function runDetails(run: RunRow & { eta?: number | null }): string {
  const fields: Array<[string, string]> = [
    ['id', run.id],
    ['tenant', run.tenant_id],
    ['job', run.job_id],
    ['status', run.status],
    ['trigger', run.trigger + (run.schedule_id ? ` (schedule ${run.schedule_id}, slot ${iso(run.slot_at)})` : '')],
    ['attempt', attemptText(run)],
    ['queued', iso(run.queued_at)],
    ['started', iso(run.started_at)],
    ['finished', iso(run.finished_at)],
    ['duration', formatDuration(run.duration_ms)],
    ['late', formatDuration(run.late_ms)],
    ['eta', iso(run.eta)],
    ['exit', run.exit_code === null ? (run.exit_signal ?? '-') : String(run.exit_code)],
    ['outcome', run.outcome ?? '-'],
    ['reason', run.reason ?? '-'],
    ['error', run.error_message ? `${run.error_code}: ${run.error_message}` : '-'],
    ['metrics', run.metrics ?? '-'],
  ];
  const head = fields.map(([k, v]) => `${k.padEnd(9)}${v}`).join('\n');
  return run.log_tail ? `${head}\n--- log tail ---\n${run.log_tail}` : head;
}

export { iso };
