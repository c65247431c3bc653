/**
 * Migration 10: a run counts the executions put back through no fault of its job, apart from the
 * job's own tries. `recoveries`: executions whose worker was lost (the lease expired and a node
 * recovered the run), bounded by the maxRecoveries setting. `interruptions`: executions a graceful
 * shutdown put back, never bounded. `attempt` keeps counting every execution started, so the job's
 * own tries are attempt − recoveries − interruptions, and only those are held to max_attempts.
 * Runs requeued by a shutdown before this migration had max_attempts raised by one instead; the
 * arithmetic gives them the same allowance.
 */
export const name = 'run-recoveries';

export const statements = [
  `ALTER TABLE runs ADD COLUMN recoveries INTEGER NOT NULL DEFAULT 0`,
  `ALTER TABLE runs ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0`,
];
