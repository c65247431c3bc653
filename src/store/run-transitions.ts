/**
 * Every move of a run after it is queued. Each transition of a running run names the lease owner
 * and fails with NS_LEASE_LOST when the owner no longer holds it: never a silent no-op.
 */
import { CompiledQuery, sql } from 'kysely';
import { dialectOf, insertRows, placeholder, valueTuples } from './bulk-statements.ts';
import { leaseLost, NsError } from '../errors.ts';
import type { RunStatus } from '../runs/states.ts';
import type { Executor } from './db.ts';
import { runKey, type RunRow } from './runs.ts';
import { inScope, type ALL_TENANTS, type TenantScope } from './tenant-scope.ts';

export interface ClaimOptions {
  owner: string;
  host: string;
  now: number;
  leaseMs: number;
  limit: number;
}

/**
 * Claims up to `limit` due runs, at most one per (tenant, job) and none whose (tenant, job) is
 * already running. The caller holds the write lock: SQLite's, and on PostgreSQL the advisory lock
 * LOCK_KEYS.claim (WorkerPool.claimIn takes it).
 */
export async function claimRuns(x: Executor, scope: typeof ALL_TENANTS, o: ClaimOptions): Promise<RunRow[]> {
  if (o.limit <= 0) return [];
  // Compiled text, not the query builder or the sql tag: a claim is on the hot path of every run, and
  // building the statements cost more than SQLite took to run them. 'queued' and 'running' are
  // literals, not parameters: SQLite uses the partial indexes runs_queue and runs_single_flight only
  // for a condition it can see.
  const { rows: candidates } = await x.executeQuery<Pick<RunRow, 'id' | 'tenant_id' | 'job_id'>>(CompiledQuery.raw(PICK_SQL[dialectOf(x)], [o.now, Math.max(o.limit * 4, 16)]));
  const picked: typeof candidates = [];
  const keys = new Set<string>();
  for (const run of candidates) {
    const key = runKey(run.tenant_id, run.job_id);
    if (keys.has(key)) continue;
    keys.add(key);
    picked.push(run);
    if (picked.length === o.limit) break;
  }
  return takeRuns(x, picked, o);
}

/**
 * Claims one queued, due run by id, unless a run of its (tenant, job) is running: the CLI executes
 * the import it has just queued. Same write lock as claimRuns.
 */
export async function claimRunById(x: Executor, runId: string, o: Omit<ClaimOptions, 'limit'>): Promise<RunRow[]> {
  const picked = await x
    .selectFrom('runs as r')
    .select(['r.id', 'r.tenant_id', 'r.job_id'])
    .where('r.id', '=', runId)
    .where('r.status', '=', 'queued')
    .where('r.run_at', '<=', o.now)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('runs as busy').select('busy.id').whereRef('busy.tenant_id', '=', 'r.tenant_id').whereRef('busy.job_id', '=', 'r.job_id').where('busy.status', '=', 'running'))),
    )
    .execute();
  return takeRuns(x, picked, { ...o, limit: 1 });
}

/** Moves picked queued runs to running under the claimer's lease, with an attempt row each. */
async function takeRuns(x: Executor, picked: ReadonlyArray<Pick<RunRow, 'id'>>, o: ClaimOptions): Promise<RunRow[]> {
  if (picked.length === 0) return [];
  // One UPDATE … RETURNING and one INSERT for the whole round. No second status check: the rows
  // cannot have changed since they were read (SQLite: this transaction holds the write lock;
  // PostgreSQL: FOR UPDATE locked them), and a `status = ?` here steered SQLite's planner through the
  // whole queue instead of the primary key.
  const fixed = [o.owner, o.now + o.leaseMs, o.now, o.now, o.now, o.host, o.now];
  const p = (n: number) => placeholder(x, n);
  const ids = picked.map((_, i) => p(fixed.length + i + 1)).join(', ');
  const { rows: claimed } = await x.executeQuery<RunRow>(
    CompiledQuery.raw(
      `update runs set
         status = 'running', attempt = attempt + 1, lease_owner = ${p(1)}, lease_expires_at = ${p(2)},
         heartbeat_at = ${p(3)}, started_at = ${p(4)}, finished_at = null, deadline_at = ${p(5)} + timeout_ms,
         host = ${p(6)}, pid = null, updated_at = ${p(7)}
       where id in (${ids})
       returning *`,
      [...fixed, ...picked.map((r) => r.id)],
    ),
  );
  if (claimed.length === 0) return [];
  const order = new Map(picked.map((r, i) => [r.id, i]));
  claimed.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  await insertRows(
    x,
    'run_attempts',
    claimed.map((run) => ({ run_id: run.id, attempt: run.attempt, tenant_id: run.tenant_id, status: 'running', worker: o.owner, started_at: o.now, finished_at: null, duration_ms: null, exit_code: null, error_message: null })),
  );
  return claimed;
}

/**
 * The claim's candidates, oldest due first, skipping (tenant, job)s already running. Parameters: now,
 * limit. PostgreSQL locks them (FOR UPDATE SKIP LOCKED): a concurrent cancel or another claimer is
 * skipped, not raced.
 */
const PICK = (placeholders: [string, string], lock: string) => `
  select r.id, r.tenant_id, r.job_id from runs as r
  where r.status = 'queued' and r.run_at <= ${placeholders[0]}
    and not exists (select 1 from runs as busy where busy.tenant_id = r.tenant_id and busy.job_id = r.job_id and busy.status = 'running')
  order by r.run_at, r.id
  limit ${placeholders[1]}${lock}`;
const PICK_SQL = { sqlite: PICK(['?', '?'], ''), postgres: PICK(['$1', '$2'], ' for update of r skip locked') };

/** Renews the lease; answers whether a cancel was requested (by the API or another node). */
export async function heartbeat(x: Executor, tenantId: string, runId: string, owner: string, now: number, leaseMs: number): Promise<{ cancelRequested: boolean }> {
  const row = await x
    .updateTable('runs')
    .set({ lease_expires_at: now + leaseMs, heartbeat_at: now, updated_at: now })
    .where('id', '=', runId)
    .where('tenant_id', '=', tenantId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .returning('cancel_requested')
    .executeTakeFirst();
  if (!row) throw leaseLost(runId, owner);
  return { cancelRequested: row.cancel_requested === 1 };
}

export async function recordPid(x: Executor, tenantId: string, runId: string, owner: string, pid: number, now: number): Promise<void> {
  const result = await x
    .updateTable('runs')
    .set({ pid, updated_at: now })
    .where('id', '=', runId)
    .where('tenant_id', '=', tenantId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw leaseLost(runId, owner);
}

export interface PidRecord {
  tenantId: string;
  runId: string;
  owner: string;
  pid: number;
  now: number;
}

/**
 * The pids of processes that started together, in one statement (recordPid for each). Returns the
 * ids of the runs written; a run missing from it is no longer held by its owner (lease lost).
 */
export async function recordPids(x: Executor, records: readonly PidRecord[]): Promise<Set<string>> {
  if (records.length === 0) return new Set();
  const values = valueTuples(x, records.length, [null, null, null, 'INTEGER', 'BIGINT']);
  const parameters = records.flatMap((r) => [r.runId, r.tenantId, r.owner, r.pid, r.now]);
  // SQLite's RETURNING names the updated table's columns only; PostgreSQL's would find v.id too.
  const returning = dialectOf(x) === 'postgres' ? 'runs.id' : 'id';
  const { rows } = await x.executeQuery<{ id: string }>(
    CompiledQuery.raw(
      `WITH v(id, tenant_id, owner, pid, now) AS (VALUES ${values})
       UPDATE runs SET pid = v.pid, updated_at = v.now
       FROM v
       WHERE runs.id = v.id AND runs.tenant_id = v.tenant_id AND runs.lease_owner = v.owner AND runs.status = 'running'
       RETURNING ${returning}`,
      parameters,
    ),
  );
  return new Set(rows.map((r) => r.id));
}

export interface RunOutcome {
  /** `skipped`: a training its retrain policy found unneeded (outcome no_training_needed). */
  status: Exclude<RunStatus, 'queued' | 'running'>;
  exitCode?: number | null;
  exitSignal?: string | null;
  outcome?: string | null;
  reason?: string | null;
  errorCode?: string | null;
  errorMessage?: string | null;
  errorContext?: Record<string, unknown> | null;
  logTail?: string | null;
  metrics?: Record<string, number> | null;
  steps?: unknown[] | null;
  /** A training's typed result, as JSON. */
  result?: string | null;
}

function outcomeFields(o: RunOutcome) {
  return {
    exit_code: o.exitCode ?? null,
    exit_signal: o.exitSignal ?? null,
    outcome: o.outcome ?? null,
    reason: o.reason ?? null,
    error_code: o.errorCode ?? null,
    error_message: o.errorMessage ?? null,
    error_context: o.errorContext ? JSON.stringify(o.errorContext) : null,
    log_tail: o.logTail ?? null,
    metrics: o.metrics ? JSON.stringify(o.metrics) : null,
    steps: o.steps ? JSON.stringify(o.steps) : null,
    result: o.result ?? null,
  };
}

async function closeAttempt(x: Executor, tenantId: string, run: Pick<RunRow, 'id' | 'attempt'>, status: string, now: number, exitCode: number | null, error: string | null) {
  await closeAttempts(x, [{ tenantId, runId: run.id, attempt: run.attempt, status, now, exitCode, error }]);
}

interface AttemptEnd {
  tenantId: string;
  runId: string;
  attempt: number;
  status: string;
  now: number;
  exitCode: number | null;
  error: string | null;
}

/** Closes the attempt rows of many runs in one statement (runs ending together share it). */
async function closeAttempts(x: Executor, ends: readonly AttemptEnd[]): Promise<void> {
  if (ends.length === 0) return;
  const values = valueTuples(x, ends.length, [null, null, 'INTEGER', null, 'BIGINT', 'INTEGER', null]);
  await x.executeQuery(
    CompiledQuery.raw(
      `WITH v(tenant_id, run_id, attempt, status, now, exit_code, error_message) AS (VALUES ${values})
       UPDATE run_attempts SET status = v.status, finished_at = v.now, duration_ms = v.now - run_attempts.started_at, exit_code = v.exit_code, error_message = v.error_message
       FROM v WHERE run_attempts.tenant_id = v.tenant_id AND run_attempts.run_id = v.run_id AND run_attempts.attempt = v.attempt`,
      ends.flatMap((e) => [e.tenantId, e.runId, e.attempt, e.status, e.now, e.exitCode, e.error]),
    ),
  );
}

async function lockOwned(x: Executor, tenantId: string, runId: string, owner: string): Promise<RunRow> {
  const run = await x.selectFrom('runs').selectAll().where('id', '=', runId).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!run || run.status !== 'running' || run.lease_owner !== owner) throw leaseLost(runId, owner);
  return run;
}

/**
 * The write of a transition, guarded again by owner and status in the UPDATE itself: the read in
 * lockOwned may be stale (recovery on another node can take the run in between), and a transition
 * that changes nothing must fail loudly, never pass as done.
 */
async function updateOwned(x: Executor, tenantId: string, runId: string, owner: string, fields: Record<string, unknown>): Promise<void> {
  const result = await x
    .updateTable('runs')
    .set(fields)
    .where('id', '=', runId)
    .where('tenant_id', '=', tenantId)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw leaseLost(runId, owner);
}

/** Ends a running run in a terminal state. */
export async function finishRun(x: Executor, tenantId: string, runId: string, owner: string, now: number, o: RunOutcome): Promise<RunRow> {
  const [ended] = await finishRuns(x, [{ tenantId, runId, owner, now, outcome: o }]);
  if (!ended) throw leaseLost(runId, owner);
  return ended;
}

export interface RunEnd {
  tenantId: string;
  runId: string;
  owner: string;
  now: number;
  outcome: RunOutcome;
}

/**
 * Ends many running runs in one guarded UPDATE … RETURNING (runs that end together, as the best job
 * queues complete theirs in batches): the hot path of every run. Returns the runs it ended; a run
 * missing from the answer was not running under its owner's lease any more.
 */
export async function finishRuns(x: Executor, ends: readonly RunEnd[]): Promise<RunRow[]> {
  if (ends.length === 0) return [];
  const values = valueTuples(x, ends.length, [null, null, null, null, 'INTEGER', null, null, null, null, null, null, null, null, null, null, 'BIGINT']);
  const parameters = ends.flatMap(({ tenantId, runId, owner, now, outcome: o }) => {
    const f = outcomeFields(o);
    return [runId, tenantId, owner, o.status, f.exit_code, f.exit_signal, f.outcome, f.reason, f.error_code, f.error_message, f.error_context, f.log_tail, f.metrics, f.steps, f.result, now];
  });
  // PostgreSQL's RETURNING * would add v's columns; SQLite accepts only * (the updated table's).
  const returning = dialectOf(x) === 'postgres' ? 'runs.*' : '*';
  const { rows } = await x.executeQuery<RunRow>(
    CompiledQuery.raw(
      `WITH v(id, tenant_id, owner, status, exit_code, exit_signal, outcome, reason, error_code, error_message, error_context, log_tail, metrics, steps, result, now) AS (VALUES ${values})
       UPDATE runs SET
         status = v.status, exit_code = v.exit_code, exit_signal = v.exit_signal, outcome = v.outcome, reason = v.reason,
         error_code = v.error_code, error_message = v.error_message, error_context = v.error_context,
         log_tail = v.log_tail, metrics = v.metrics, steps = v.steps, result = v.result,
         finished_at = v.now, duration_ms = v.now - coalesce(runs.started_at, v.now),
         lease_owner = NULL, lease_expires_at = NULL, updated_at = v.now
       FROM v
       WHERE runs.id = v.id AND runs.tenant_id = v.tenant_id AND runs.lease_owner = v.owner AND runs.status = 'running'
       RETURNING ${returning}`,
      parameters,
    ),
  );
  const byId = new Map(ends.map((e) => [e.runId, e]));
  const attempts = rows.flatMap((run) => {
    const end = byId.get(run.id);
    if (!end) return [];
    const { outcome: o, now } = end;
    return [{ tenantId: run.tenant_id, runId: run.id, attempt: run.attempt, status: o.status, now, exitCode: o.exitCode ?? null, error: o.errorMessage ?? null }];
  });
  await closeAttempts(x, attempts);
  return rows;
}

/** A transient failure with attempts left: back to queued, due after the backoff. */
export async function scheduleRetry(x: Executor, tenantId: string, runId: string, owner: string, now: number, runAt: number, o: Omit<RunOutcome, 'status'>): Promise<RunRow> {
  const run = await lockOwned(x, tenantId, runId, owner);
  const fields = {
    ...outcomeFields({ ...o, status: 'failed' }),
    status: 'queued',
    run_at: runAt,
    duration_ms: now - (run.started_at ?? now),
    lease_owner: null,
    lease_expires_at: null,
    pid: null,
    updated_at: now,
  };
  await updateOwned(x, tenantId, runId, owner, fields);
  await closeAttempt(x, tenantId, run, 'retrying', now, o.exitCode ?? null, o.errorMessage ?? null);
  return { ...run, ...fields };
}

/**
 * Shutdown put the run down before it finished: back to queued, never a failure, so the next start
 * resumes it. The execution counts as an interruption, not as one of the job's tries, and there is
 * no bound on interruptions.
 */
export async function requeueRun(x: Executor, tenantId: string, runId: string, owner: string, now: number, reason: string): Promise<void> {
  const run = await lockOwned(x, tenantId, runId, owner);
  // The interrupted attempt stays in history.
  await updateOwned(x, tenantId, runId, owner, { status: 'queued', interruptions: run.interruptions + 1, run_at: now, reason, lease_owner: null, lease_expires_at: null, pid: null, updated_at: now });
  await closeAttempt(x, tenantId, run, 'interrupted', now, null, reason);
}

export interface RecoveredRun {
  /** The run as it was before recovery. */
  run: RunRow;
  requeued: boolean;
  /** Executions of the run whose worker was lost, this one included. */
  recoveries: number;
}

export interface RecoveryOptions {
  now: number;
  /**
   * How many lost workers a run survives: the loss after that many ends it as failed (a job that
   * brings its node down every time must not loop for ever). Losses never spend the job's attempts.
   */
  maxRecoveries: number;
  /**
   * Runs the calling process is executing right now: alive whatever their lease says (a blocked
   * event loop delays a beat), so it never recovers them from itself.
   */
  executingHere?: readonly string[];
  /**
   * Called before a run is put back (to kill what is left of its lost attempt), so no new attempt
   * can start while the old one still runs.
   */
  beforeRelease?: (run: RunRow) => void;
}

/**
 * Runs whose worker stopped heartbeating (crash, kill -9, partition): requeued, or failed once
 * their worker has been lost more than maxRecoveries times (cancelled when a cancel was pending). A
 * lost worker is not the job's failure: it is counted in `recoveries`, never against max_attempts.
 */
export async function recoverExpiredLeases(x: Executor, scope: typeof ALL_TENANTS, o: RecoveryOptions): Promise<RecoveredRun[]> {
  const { now, maxRecoveries, executingHere = [], beforeRelease = () => undefined } = o;
  let q = x.selectFrom('runs').selectAll().where('status', '=', sql.lit('running')).where('lease_expires_at', '<', now);
  if (executingHere.length > 0) q = q.where('id', 'not in', [...executingHere]);
  const expired = await q.execute();
  const recovered: RecoveredRun[] = [];
  for (const run of expired) {
    const lost = `lease of ${run.lease_owner} expired at ${new Date(run.lease_expires_at ?? now).toISOString()} (worker lost)`;
    const recoveries = run.recoveries + 1;
    const requeued = recoveries <= maxRecoveries && run.cancel_requested !== 1;
    const ended = { finished_at: now, duration_ms: now - (run.started_at ?? now) };
    const fields = requeued
      ? { status: 'queued', run_at: now, reason: `recovered: ${lost}` }
      : run.cancel_requested === 1
        ? { ...ended, status: 'cancelled', error_code: 'NS_JOB_CANCELLED', error_message: `cancelled; its worker was lost (${lost})` }
        : { ...ended, status: 'failed', error_code: 'NS_LEASE_LOST', error_message: `${lost}; its worker was lost ${recoveries} times, more than the ${maxRecoveries} recoveries allowed (NIGHTSHIFT_MAX_RECOVERIES)` };
    beforeRelease(run);
    // Still expired and still the same owner's: a heartbeat that renewed it meanwhile wins.
    const result = await x
      .updateTable('runs')
      .set({ ...fields, recoveries, lease_owner: null, lease_expires_at: null, updated_at: now })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .where('lease_owner', '=', run.lease_owner)
      .where('lease_expires_at', '<', now)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) continue;
    await closeAttempt(x, run.tenant_id, run, 'lost', now, null, lost);
    recovered.push({ run, requeued, recoveries });
  }
  return recovered;
}

export type CancelResult = 'cancelled' | 'requested';

/**
 * Queued runs end at once; running ones are flagged and their worker aborts them at its next beat.
 * A run outside the scope is "not found", exactly like one that does not exist.
 */
export async function requestCancel(x: Executor, scope: TenantScope, runId: string, now: number, reason: string): Promise<CancelResult> {
  // Each write is conditional on the status just read; if a claim or an end slipped in between,
  // read again (at most once more: a run moves queued → running → ended, never back within this).
  for (let attempt = 0; attempt < 3; attempt++) {
    const run = await inScope(x.selectFrom('runs').select(['status']).where('id', '=', runId), scope).executeTakeFirst();
    if (!run) throw new NsError('NS_NOT_FOUND', `run "${runId}" does not exist`, { field: 'runId' });
    if (run.status === 'queued' || run.status === 'running') {
      const fields = run.status === 'queued' ? { status: 'cancelled', finished_at: now, reason, updated_at: now } : { cancel_requested: 1, reason, updated_at: now };
      const result = await inScope(x.updateTable('runs').set(fields).where('id', '=', runId).where('status', '=', run.status), scope).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return run.status === 'queued' ? 'cancelled' : 'requested';
      continue;
    }
    throw new NsError('NS_CONFLICT', `run "${runId}" already ended (${run.status}); only queued or running runs can be cancelled`, {
      field: 'runId',
      details: { status: run.status },
    });
  }
  throw new NsError('NS_CONFLICT', `run "${runId}" changed state while being cancelled; try again`, { field: 'runId' });
}
