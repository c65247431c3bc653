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

/**
 * `runs --follow` prints lines as runs change, so its columns cannot be sized by the rows: these
 * widths fit the usual values (a run id is 25 characters); a longer value pushes its line's later
 * columns right.
 */
const FOLLOW_WIDTHS: Record<(typeof RUN_COLUMNS)[number], number> = { id: 25, tenant: 10, job: 18, status: 9, trigger: 9, attempt: 7, queued: 24, duration: 8, note: 0 };

const followCells = (cells: Record<string, string>) =>
  RUN_COLUMNS.map((c) => (cells[c] ?? '').padEnd(FOLLOW_WIDTHS[c]))
    .join('  ')
    .trimEnd();

export const followHeader = (): string => followCells(Object.fromEntries(RUN_COLUMNS.map((c) => [c, c.toUpperCase()])));
export const followLine = (run: RunRow): string => followCells(runLine(run));

/** A stage row of a training run, as `run <id>` shows it. */
export interface StageLine {
  attempt: number;
  stage: string;
  started_at: number;
  duration_ms: number;
  counts: string;
  note: string | null;
}

const number = (v: unknown): string => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v));

function metricsTable(metrics: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(metrics);
  } catch {
    return metrics;
  }
  if (parsed === null || typeof parsed !== 'object') return metrics;
  const rows = Object.entries(parsed as Record<string, unknown>).map(([metric, value]) => ({ metric, value: number(value) }));
  return rows.length === 0 ? '(none)' : table(rows, ['metric', 'value']);
}

function countsText(counts: string): string {
  try {
    return Object.entries(JSON.parse(counts) as Record<string, unknown>)
      .map(([k, v]) => `${k}=${number(v)}`)
      .join(' ');
  } catch {
    return counts;
  }
}

const stagesTable = (stages: readonly StageLine[]) =>
  table(
    stages.map((s) => ({ attempt: String(s.attempt), stage: s.stage, started: iso(s.started_at), duration: formatDuration(s.duration_ms), counts: countsText(s.counts), note: s.note ?? '' })),
    ['attempt', 'stage', 'started', 'duration', 'counts', 'note'],
  );

/**
 * One run in full: its fields, then its metrics as a table, a training's stages, and the log tail
 * without the lines that only carried metrics (`isMetricLine`: they are in the table already).
 */
export function runDetails(run: RunRow & { eta?: number | null }, stages: readonly StageLine[] = [], isMetricLine: (line: string) => boolean = () => false): string {
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
  ];
  const sections = [fields.map(([k, v]) => `${k.padEnd(9)}${v}`).join('\n')];
  if (run.metrics) sections.push(`--- metrics ---\n${metricsTable(run.metrics)}`);
  if (stages.length > 0) sections.push(`--- stages ---\n${stagesTable(stages)}`);
  const tail = run.log_tail
    ?.split('\n')
    .filter((line) => !isMetricLine(line))
    .join('\n');
  if (tail) sections.push(`--- log tail ---\n${tail}`);
  return sections.join('\n');
}

export { iso };
