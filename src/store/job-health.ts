import type { Executor } from './db.ts';
import { nextDueAt } from './schedules.ts';
import { inScope, type ALL_TENANTS, type TenantScope } from './tenant-scope.ts';

export interface JobHealthRow {
  jobId: string;
  lastStatus: string | null;
  lastFinishedAt: number | null;
  /** Failures (failed or timed_out) since the job last succeeded, newest first. */
  consecutiveFailures: number;
  running: number;
  queued: number;
  nextRunAt: number | null;
}

const FAILED = new Set(['failed', 'timed_out']);
const RECENT = 50;

/** Per job, within the scope: its latest outcome, its failure streak, what is in flight, and its next enabled slot. */
export async function jobHealth(x: Executor, scope: TenantScope, jobIds: readonly string[]): Promise<JobHealthRow[]> {
  const result: JobHealthRow[] = [];
  for (const jobId of jobIds) {
    // Walks the (job_id, finished_at) index from the newest end; skipped runs are filtered on the way.
    const finished = x
      .selectFrom('runs')
      .select(['status', 'finished_at'])
      .where('job_id', '=', jobId)
      .where('finished_at', 'is not', null)
      .where('status', 'in', ['succeeded', 'failed', 'timed_out', 'cancelled']);
    const recent = await inScope(finished, scope)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(RECENT)
      .execute();
    let streak = 0;
    for (const run of recent) {
      if (run.status === 'succeeded') break;
      if (FAILED.has(run.status)) streak++;
    }
    const inFlight = x
      .selectFrom('runs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('job_id', '=', jobId)
      // Queued and running runs have no finished_at: the (job_id, finished_at) index then holds only them.
      .where('finished_at', 'is', null)
      .where('status', 'in', ['queued', 'running']);
    const active = await inScope(inFlight, scope).groupBy('status').execute();
    const nextRunAt = await nextDueAt(x, scope, jobId);
    result.push({
      jobId,
      lastStatus: recent[0]?.status ?? null,
      lastFinishedAt: recent[0]?.finished_at ?? null,
      consecutiveFailures: streak,
      running: Number(active.find((a) => a.status === 'running')?.n ?? 0),
      queued: Number(active.find((a) => a.status === 'queued')?.n ?? 0),
      nextRunAt,
    });
  }
  return result;
}

/** Runs waiting to be claimed, by tenant and job: the queue depth gauge. */
export async function queueDepth(x: Executor, scope: typeof ALL_TENANTS): Promise<Array<{ tenant_id: string; job_id: string; status: string; n: number }>> {
  const rows = await x
    .selectFrom('runs')
    .select(['tenant_id', 'job_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['queued', 'running'])
    .groupBy(['tenant_id', 'job_id', 'status'])
    .execute();
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/** A cheap round trip that proves the store answers (readiness). */
export async function pingStore(x: Executor): Promise<void> {
  await x.selectFrom('ns_migrations').select('id').limit(1).execute();
}
