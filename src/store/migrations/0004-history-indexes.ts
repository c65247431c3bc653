/**
 * Migration 4: indexes for the history reads the API serves on every request — the default run
 * listing (newest first) and a job's latest finished runs (health).
 */
export const name = 'history-indexes';

export const statements = [
  `CREATE INDEX runs_by_queued ON runs (queued_at, id)`,
  `CREATE INDEX runs_by_run_at ON runs (run_at, id)`,
  `CREATE INDEX runs_job_finished ON runs (job_id, finished_at, id)`,
];
