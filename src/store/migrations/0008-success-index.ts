/**
 * Migration 8: `runs_finished` (job_id, status, finished_at) covered every run, so every run moved
 * in it twice (claimed, ended) besides its insert, and it led with the job, not the tenant. Its
 * readers only ever look for a tenant's successes of a job (ETAs, dependencies): a partial index over
 * the succeeded runs, keyed by tenant, serves them exactly and is written once per success.
 */
export const name = 'success-index';

export const statements = [
  `DROP INDEX runs_finished`,
  `CREATE INDEX runs_succeeded ON runs (tenant_id, job_id, finished_at) WHERE status = 'succeeded'`,
];
