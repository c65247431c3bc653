import type { RetryPolicy } from '../config/types.ts';
import type { RunRow } from '../store/runs.ts';

/**
 * The executions a run's job itself has used: every execution started (`attempt`) except those put
 * back through no fault of the job (its worker was lost, or a shutdown stopped it). While the run
 * executes, the current execution is included. Only these are held to `max_attempts`.
 */
export function jobTries(run: Pick<RunRow, 'attempt' | 'recoveries' | 'interruptions'>): number {
  return run.attempt - run.recoveries - run.interruptions;
}

/** The job's own tries a run of this policy may use: the first attempt and its retries (runs.max_attempts). */
export function attemptsAllowed(policy: Pick<RetryPolicy, 'retries'>): number {
  return policy.retries + 1;
}

/** The end of a failure message once a transient failure has no retry left: "3 retries exhausted (4 attempts)". */
export function retriesExhausted(maxAttempts: number): string {
  const retries = maxAttempts - 1;
  if (retries <= 0) return 'not retried: the job allows no retries (retry.retries is 0)';
  return `${retries} ${retries === 1 ? 'retry' : 'retries'} exhausted (${maxAttempts} attempts)`;
}

/**
 * Delay before the next attempt after the job's own try `failedAttempt` (1-based, see jobTries)
 * failed transiently: the policy's table (5, 15, 45 min by default; the last entry repeats), plus up
 * to jitterRatio of it at random so that many runs failing together do not retry together.
 */
export function backoffDelayMs(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number {
  const table = policy.backoffMs;
  if (table.length === 0) return 0;
  const base = table[Math.min(failedAttempt, table.length) - 1] ?? table[table.length - 1] ?? 0;
  return Math.round(base * (1 + policy.jitterRatio * random()));
}
