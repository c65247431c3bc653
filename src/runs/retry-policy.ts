import type { RetryPolicy } from '../config/types.ts';

/**
 * Delay before the next attempt after `failedAttempt` (1-based) failed transiently: the policy's
 * table (5, 15, 45 min by default; the last entry repeats), plus up to jitterRatio of it at random
 * so that many runs failing together do not retry together.
 */
export function backoffDelayMs(policy: RetryPolicy, failedAttempt: number, random: () => number = Math.random): number {
  const table = policy.backoffMs;
  if (table.length === 0) return 0;
  const base = table[Math.min(failedAttempt, table.length) - 1] ?? table[table.length - 1] ?? 0;
  return Math.round(base * (1 + policy.jitterRatio * random()));
}
