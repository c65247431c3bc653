/**
 * Migration 9: the claim reads each due candidate's tenant and job (one run per (tenant, job), none
 * beside a running one). With `runs_queue` holding only (run_at, id), every candidate cost a lookup
 * of its table row; with the two columns in the index, the pick reads the index alone. The index still
 * holds only the queued runs.
 */
export const name = 'covering-queue-index';

export const statements = [
  `DROP INDEX runs_queue`,
  `CREATE INDEX runs_queue ON runs (run_at, id, tenant_id, job_id) WHERE status = 'queued'`,
];
