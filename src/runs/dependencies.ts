import type { JobDefinition } from '../config/types.ts';
import { newId } from '../ids.ts';
import { lockRunKey, type DialectName, type Executor } from '../store/db.ts';
import { activeRunsByKey, insertRuns, latestRun, latestSuccessAfter, runKey, runValues, type RunRow } from '../store/runs.ts';
import { attemptsAllowed } from './retry-policy.ts';

const runsFor = (job: JobDefinition, tenantId: string) => job.tenants === null || job.tenants.includes(tenantId);

/** Whether `job` runs after `upstream`'s job for its tenant: a success of `upstream` may queue it. */
export const isDependent = (job: JobDefinition, upstream: Pick<RunRow, 'job_id' | 'tenant_id'>) => job.after.includes(upstream.job_id) && runsFor(job, upstream.tenant_id);

/**
 * After `upstream` succeeded: queue each job that lists it in `after`, once every job it waits for
 * has succeeded since that job's own last run. Runs in the transaction that records the success.
 * `jobs` are the definitions read when the run was claimed (jobs are defined at start-up and when
 * a model is declared; a job defined while this run ran is not its dependent yet).
 * A failed upstream queues nothing, and leaves the next cycle free to go ahead.
 */
export async function queueDownstream(x: Executor, dialect: DialectName, upstream: RunRow, now: number, jobs: Iterable<JobDefinition>): Promise<RunRow[]> {
  const queued: RunRow[] = [];
  for (const job of jobs) {
    if (!isDependent(job, upstream)) continue;
    // Two upstreams finishing at once on two nodes: the second waits here and then sees the first's success.
    await lockRunKey(x, dialect, upstream.tenant_id, job.id);
    const last = await latestRun(x, upstream.tenant_id, job.id);
    const since = last?.queued_at ?? 0;
    let ready = true;
    for (const dep of job.after) {
      if ((await latestSuccessAfter(x, upstream.tenant_id, dep, since)) === null) ready = false;
    }
    if (!ready) continue;
    const active = (await activeRunsByKey(x, [{ tenantId: upstream.tenant_id, jobId: job.id }])).get(runKey(upstream.tenant_id, job.id)) ?? [];
    const busy = active[0];
    const run = runValues({
      id: newId('run', now),
      tenantId: upstream.tenant_id,
      jobId: job.id,
      trigger: 'dependency',
      status: busy ? 'skipped' : 'queued',
      maxAttempts: attemptsAllowed(job.retry),
      timeoutMs: job.timeoutMs,
      runAt: now,
      now,
      parentRunId: upstream.id,
      reason: busy ? `overlap: run ${busy.id} is still ${busy.status}` : `after ${upstream.job_id} run ${upstream.id} succeeded`,
    });
    await insertRuns(x, [run]);
    queued.push(run);
  }
  return queued;
}
