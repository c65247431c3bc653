import { sql, type SelectQueryBuilder } from 'kysely';
import type { RunStatus } from '../runs/states.ts';
import { insertRows } from './bulk-statements.ts';
import type { Executor } from './db.ts';
import type { Database, RunsTable } from './schema.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export type RunRow = RunsTable;

export interface NewRun {
  id: string;
  tenantId: string;
  jobId: string;
  trigger: string;
  status: RunStatus;
  maxAttempts: number;
  timeoutMs: number;
  runAt: number;
  now: number;
  scheduleId?: string | null;
  slotAt?: number | null;
  lateMs?: number | null;
  params?: Record<string, unknown> | null;
  reason?: string | null;
  parentRunId?: string | null;
}

export function runValues(r: NewRun): RunRow {
  const terminal = r.status !== 'queued';
  return {
    id: r.id,
    tenant_id: r.tenantId,
    job_id: r.jobId,
    schedule_id: r.scheduleId ?? null,
    slot_at: r.slotAt ?? null,
    trigger: r.trigger,
    status: r.status,
    attempt: 0,
    max_attempts: r.maxAttempts,
    recoveries: 0,
    interruptions: 0,
    timeout_ms: r.timeoutMs,
    params: r.params ? JSON.stringify(r.params) : null,
    run_at: r.runAt,
    queued_at: r.now,
    started_at: null,
    finished_at: terminal ? r.now : null,
    duration_ms: null,
    late_ms: r.lateMs ?? null,
    lease_owner: null,
    lease_expires_at: null,
    heartbeat_at: null,
    deadline_at: null,
    cancel_requested: 0,
    pid: null,
    host: null,
    exit_code: null,
    exit_signal: null,
    outcome: null,
    reason: r.reason ?? null,
    error_code: null,
    error_message: null,
    error_context: null,
    log_tail: null,
    metrics: null,
    steps: null,
    parent_run_id: r.parentRunId ?? null,
    updated_at: r.now,
    result: null,
  };
}

const CHUNK = 200;

export async function insertRuns(x: Executor, rows: readonly RunRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insertRows(x, 'runs', rows.slice(i, i + CHUNK));
}

/** Another tenant's run is not there: the same answer as a run that never existed. */
export async function getRunRow(x: Executor, scope: TenantScope, id: string): Promise<RunRow | undefined> {
  return inScope(x.selectFrom('runs').selectAll().where('id', '=', id), scope).executeTakeFirst();
}

/** Unfinished runs (queued or running) for these (tenant, job) pairs, keyed `tenant/job`. */
export async function activeRunsByKey(x: Executor, keys: ReadonlyArray<{ tenantId: string; jobId: string }>): Promise<Map<string, RunRow[]>> {
  const result = new Map<string, RunRow[]>();
  if (keys.length === 0) return result;
  const jobIds = [...new Set(keys.map((k) => k.jobId))];
  const tenantIds = [...new Set(keys.map((k) => k.tenantId))];
  const rows = await x
    .selectFrom('runs')
    .selectAll()
    .where('status', 'in', ['queued', 'running'])
    .where('job_id', 'in', jobIds)
    .where('tenant_id', 'in', tenantIds)
    .execute();
  for (const row of rows) {
    const key = runKey(row.tenant_id, row.job_id);
    const list = result.get(key) ?? [];
    list.push(row);
    result.set(key, list);
  }
  return result;
}

export const runKey = (tenantId: string, jobId: string) => `${tenantId}/${jobId}`;

export const RUN_SORT_FIELDS = ['queued_at', 'run_at', 'started_at', 'finished_at', 'duration_ms'] as const;
export type RunSortField = (typeof RUN_SORT_FIELDS)[number];

const NEVER_NULL: ReadonlySet<RunSortField> = new Set(['queued_at', 'run_at']);

/** Where the previous page ended: the sort value (nulls as -1) and the id, the stable tiebreak. */
export interface RunCursor {
  value: number;
  id: string;
}

export interface RunFilter {
  jobId?: string;
  /** Runs of any of these jobs (with jobId: of both). */
  jobIds?: readonly string[];
  scheduleId?: string;
  status?: readonly string[];
  trigger?: string;
  from?: number;
  to?: number;
  limit?: number;
  sort?: RunSortField;
  order?: 'asc' | 'desc';
  after?: RunCursor;
}

/** Sorted by an allow-listed column (default newest first), id breaking ties, keyset-paginated. */
export async function listRuns(x: Executor, scope: TenantScope, filter: RunFilter = {}): Promise<RunRow[]> {
  return filtered(inScope(x.selectFrom('runs').selectAll(), scope), filter).execute();
}

/**
 * The columns a list of runs shows (api/dto.ts runDto): a run's log tail, params, steps and result
 * are left out, read only for one run. Fewer and shorter values to read, build and collect on the
 * API's busiest list (GET /api/runs, the API benchmark's runs_list).
 */
export const RUN_SUMMARY_COLUMNS = [
  'id', 'tenant_id', 'job_id', 'schedule_id', 'slot_at', 'trigger', 'status', 'attempt', 'max_attempts', 'recoveries', 'interruptions',
  'queued_at', 'run_at', 'started_at', 'finished_at', 'duration_ms', 'late_ms', 'exit_code', 'exit_signal', 'outcome', 'reason',
  'error_code', 'error_message', 'error_context', 'metrics', 'parent_run_id',
] as const satisfies ReadonlyArray<keyof RunRow>;

export type RunSummaryRow = Pick<RunRow, (typeof RUN_SUMMARY_COLUMNS)[number]>;

/** listRuns with the summary columns only (same filters, order and pages). */
export async function listRunSummaries(x: Executor, scope: TenantScope, filter: RunFilter = {}): Promise<RunSummaryRow[]> {
  return filtered(inScope(x.selectFrom('runs').select(RUN_SUMMARY_COLUMNS), scope), filter).execute();
}

/** A run list's filters, order (id breaking ties) and page, on whichever columns it selects. */
function filtered<O>(query: SelectQueryBuilder<Database, 'runs', O>, filter: RunFilter): SelectQueryBuilder<Database, 'runs', O> {
  const sortField = filter.sort ?? 'queued_at';
  const order = filter.order ?? 'desc';
  // Nullable columns (started_at …) sort as -1 so that the cursor comparison stays total; the
  // never-null ones are used bare, so their (column, id) indexes serve the sort.
  const key = NEVER_NULL.has(sortField) ? sql<number>`${sql.ref(sortField)}` : sql<number>`coalesce(${sql.ref(sortField)}, -1)`;
  let q = query;
  if (filter.jobId) q = q.where('job_id', '=', filter.jobId);
  if (filter.jobIds) q = q.where('job_id', 'in', filter.jobIds.length > 0 ? [...filter.jobIds] : ['']);
  if (filter.scheduleId) q = q.where('schedule_id', '=', filter.scheduleId);
  if (filter.status && filter.status.length > 0) q = q.where('status', 'in', [...filter.status]);
  if (filter.trigger) q = q.where('trigger', '=', filter.trigger);
  if (filter.from !== undefined) q = q.where('queued_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('queued_at', '<', filter.to);
  const after = filter.after;
  if (after) {
    const op = order === 'desc' ? '<' : '>';
    q = q.where((eb) => eb.or([eb(key, op, after.value), eb.and([eb(key, '=', after.value), eb('id', op, after.id)])]));
  }
  return q.orderBy(key, order).orderBy('id', order).limit(filter.limit ?? 50);
}

export function cursorOf(run: RunSummaryRow, sort: RunSortField = 'queued_at'): RunCursor {
  return { value: run[sort] ?? -1, id: run.id };
}

/** Durations of the most recent successful runs of a job, for ETAs. */
export async function recentSuccessDurations(x: Executor, tenantId: string, jobId: string, limit = 20): Promise<number[]> {
  const rows = await x
    .selectFrom('runs')
    .select('duration_ms')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    // A literal, not a parameter: SQLite uses the partial index runs_succeeded only for a condition it can see.
    .where('status', '=', sql.lit('succeeded'))
    .where('duration_ms', 'is not', null)
    .orderBy('finished_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.duration_ms));
}

export async function latestRun(x: Executor, tenantId: string, jobId: string): Promise<RunRow | undefined> {
  return x
    .selectFrom('runs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .orderBy('queued_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Time of the latest success of a job for a tenant after a given instant (for dependencies). */
export async function latestSuccessAfter(x: Executor, tenantId: string, jobId: string, after: number): Promise<number | null> {
  const row = await x
    .selectFrom('runs')
    .select('finished_at')
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('status', '=', sql.lit('succeeded'))
    .where('finished_at', '>', after)
    .orderBy('finished_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.finished_at ?? null;
}

export async function countRunsByStatus(x: Executor, tenantId: string, filter: Pick<RunFilter, 'jobId' | 'jobIds'> = {}): Promise<Record<string, number>> {
  let q = x.selectFrom('runs').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('tenant_id', '=', tenantId).groupBy('status');
  if (filter.jobId) q = q.where('job_id', '=', filter.jobId);
  if (filter.jobIds) q = q.where('job_id', 'in', filter.jobIds.length > 0 ? [...filter.jobIds] : ['']);
  const rows = await q.execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function listAttempts(x: Executor, tenantId: string, runId: string) {
  return x.selectFrom('run_attempts').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', runId).orderBy('attempt').execute();
}

/**
 * What is in flight, from the queue's own indexes (runs_lease: status, lease; the partial
 * runs_queue), never a scan of the history: running runs, then queued ones in the order they
 * will run, at most `limit` of each.
 */
export async function listActiveRuns(x: Executor, scope: TenantScope, limit: number): Promise<{ running: RunRow[]; queued: RunRow[] }> {
  const [running, queued] = await Promise.all([
    inScope(x.selectFrom('runs').selectAll().where('status', '=', 'running'), scope).orderBy('lease_expires_at').limit(limit).execute(),
    inScope(x.selectFrom('runs').selectAll().where('status', '=', 'queued'), scope).orderBy('run_at').orderBy('id').limit(limit).execute(),
  ]);
  return { running, queued };
}
