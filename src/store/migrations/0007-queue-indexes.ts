/**
 * Migration 7: the queue and the lease indexes hold only the runs they are for. Every claim and
 * every end of a run rewrites the entries of the indexes whose columns it changes; an index over
 * all of history (`status, …`) spreads those entries over many pages, each written to the WAL and
 * fsynced at COMMIT. Partial indexes over the queued and the running runs stay small and hot.
 */
export const name = 'queue-indexes';

export const statements = [
  `DROP INDEX runs_claim`,
  `CREATE INDEX runs_queue ON runs (run_at, id) WHERE status = 'queued'`,
  `DROP INDEX runs_lease`,
  `CREATE INDEX runs_leased ON runs (lease_expires_at) WHERE status = 'running'`,
];
