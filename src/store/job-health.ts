import type { Executor } from './db.ts';
import { ALL_TENANTS, type TenantScope } from './tenant-scope.ts';

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

/** Executions that ended (a slot skipped for overlap never executed). */
const EXECUTED = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;
const FAILED = ['failed', 'timed_out'] as const;
/** The failure streak is counted among this many most recent executions of the job. */
const RECENT = 50;

/**
 * Per job of the jobs table, within the scope: its latest outcome, its failure streak (failures
 * among its RECENT latest executions with no success after them), what is in flight, and its next
 * enabled slot. One statement however many jobs and runs exist: each figure is a correlated
 * subquery that walks the (job_id, finished_at, id) index from the newest end, or the schedules of
 * the job.
 */
export async function jobHealth(x: Executor, scope: TenantScope): Promise<JobHealthRow[]> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const rows = await x
    .selectFrom('jobs as j')
    .select((eb) => {
      const runsOfJob = () => eb.selectFrom('runs as r').whereRef('r.job_id', '=', 'j.id').$if(tenant !== null, (q) => q.where('r.tenant_id', '=', tenant!));
      const executed = () => runsOfJob().where('r.finished_at', 'is not', null).where('r.status', 'in', [...EXECUTED]);
      const latest = () => executed().orderBy('r.finished_at', 'desc').orderBy('r.id', 'desc').limit(1);
      const inFlight = (status: 'queued' | 'running') =>
        // Queued and running runs have no finished_at: the (job_id, finished_at) index then holds only them.
        runsOfJob().where('r.finished_at', 'is', null).where('r.status', '=', status).select((c) => c.fn.countAll<number>().as('n'));
      const recent = executed().select('r.id').orderBy('r.finished_at', 'desc').orderBy('r.id', 'desc').limit(RECENT);
      const streak = eb
        .selectFrom('runs as f')
        .select((c) => c.fn.countAll<number>().as('n'))
        .where('f.id', 'in', recent)
        .where('f.status', 'in', [...FAILED])
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('runs as s')
                .select('s.id')
                .whereRef('s.job_id', '=', 'j.id')
                .$if(tenant !== null, (q) => q.where('s.tenant_id', '=', tenant!))
                .where('s.status', '=', 'succeeded')
                .where('s.finished_at', 'is not', null)
                .where((w) => w.or([w('s.finished_at', '>', w.ref('f.finished_at')), w.and([w('s.finished_at', '=', w.ref('f.finished_at')), w('s.id', '>', w.ref('f.id'))])])),
            ),
          ),
        );
      const nextDue = eb
        .selectFrom('schedules as d')
        .select((c) => c.fn.min('d.due_at').as('due'))
        .whereRef('d.job_id', '=', 'j.id')
        .where('d.enabled', '=', 1)
        .where('d.deleted_at', 'is', null)
        .$if(tenant !== null, (q) => q.where('d.tenant_id', '=', tenant!));
      return [
        'j.id as job_id',
        latest().select('r.status').as('last_status'),
        latest().select('r.finished_at').as('last_finished_at'),
        streak.as('streak'),
        inFlight('running').as('running'),
        inFlight('queued').as('queued'),
        nextDue.as('next_run_at'),
      ];
    })
    .orderBy('j.id')
    .execute();
  const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    jobId: r.job_id,
    lastStatus: (r.last_status as string | null) ?? null,
    lastFinishedAt: num(r.last_finished_at),
    consecutiveFailures: Number(r.streak ?? 0),
    running: Number(r.running ?? 0),
    queued: Number(r.queued ?? 0),
    nextRunAt: num(r.next_run_at),
  }));
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
