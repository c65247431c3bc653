/** How the outbox retries a delivery: exponential backoff with jitter, and when it gives up. */
export interface OutboxRetryPolicy {
  /** Attempts in all, the first included; after the last failure the row is given up (status dead). */
  maxAttempts: number;
  /** Delay after the first failure; doubled after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Up to this share of the delay is added at random, so receivers coming back are not hit by every node at once. */
  jitterRatio: number;
}

/** 12 attempts: 1 s, 2 s, 4 s … capped at 1 h, about 1 h 8 min of retrying in all before giving up. */
export const OUTBOX_RETRY_DEFAULTS: OutboxRetryPolicy = Object.freeze({ maxAttempts: 12, baseDelayMs: 1_000, maxDelayMs: 3_600_000, jitterRatio: 0.2 });

/** The delay before attempt `failed + 1`, after `failed` failures (≥ 1); `random` in [0, 1). */
export function retryDelayMs(failed: number, policy: OutboxRetryPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(failed - 1, 40));
  return Math.round(exponential * (1 + policy.jitterRatio * random()));
}
