/**
 * The range of every duration and date nightshift accepts, wherever it comes from (the HTTP API, the
 * config file, env variables, the CLI). Each is checked before anything is written, so a stored
 * value always fits the arithmetic that later uses it (slot math, ISO dates, timers). The README's
 * "Ranges" table states the same numbers; a test keeps the two in step.
 */
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface DurationRange {
  readonly minMs: number;
  readonly maxMs: number;
}

/** Durations by the name users write them under (config key; the API's field; the env variable's setting). */
export const DURATION_RANGES = Object.freeze({
  /** A schedule's interval. */
  every: { minMs: SECOND, maxMs: 366 * DAY },
  /** A schedule's jitter; also shorter than the gap between its slots. */
  jitter: { minMs: 0, maxMs: DAY },
  /** A schedule's misfire grace, and NIGHTSHIFT_MISFIRE_GRACE. */
  misfireGrace: { minMs: SECOND, maxMs: 31 * DAY },
  /** A job's or a model's timeout, training.timeout, TRAINING_TIMEOUT_HOURS. */
  timeout: { minMs: SECOND, maxMs: 7 * DAY },
  /** Each retry backoff step. */
  backoff: { minMs: 0, maxMs: DAY },
  shutdownGrace: { minMs: 1, maxMs: HOUR },
  killGrace: { minMs: 1, maxMs: 10 * MINUTE },
  lease: { minMs: SECOND, maxMs: HOUR },
  /** Also shorter than the lease. */
  heartbeat: { minMs: 1, maxMs: 30 * MINUTE },
  poll: { minMs: 1, maxMs: 30 * SECOND },
  /** NIGHTSHIFT_POLICY_DEBOUNCE: after a burst of ingests, the wait before its models are assessed. */
  policyDebounce: { minMs: 0, maxMs: HOUR },
  /** NIGHTSHIFT_INGEST_MAX_SKEW: how far ahead of the service clock an ingested sample may be dated. */
  ingestMaxSkew: { minMs: 0, maxMs: 366 * DAY },
  /** TRAINING_MONITOR_INTERVAL (minutes in the env variable), monitor.interval. */
  monitorInterval: { minMs: SECOND, maxMs: DAY },
  /** monitor.failureWindow: the span TRAINING_FAILURE's rate is taken over. */
  failureWindow: { minMs: MINUTE, maxMs: 366 * DAY },
  /** monitor.stuckAfter, NIGHTSHIFT_STUCK_JOB_AFTER. */
  stuckAfter: { minMs: MINUTE, maxMs: 31 * DAY },
  /** monitor.cooldown, NIGHTSHIFT_ALERT_COOLDOWN. */
  alertCooldown: { minMs: 0, maxMs: 31 * DAY },
} satisfies Record<string, DurationRange>);

/** Retry backoff lists: at most this many steps (the last one repeats). */
export const MAX_BACKOFF_STEPS = 100;

/** A trigger's `at` (not before): at most this far ahead of now; an earlier instant means now. */
export const MAX_TRIGGER_AHEAD_MS = 366 * DAY;

/** Dates in filters (`from`, `to`): from the Unix epoch to the last instant of year 9999. */
export const INSTANT_RANGE = Object.freeze({ minMs: 0, maxMs: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });

/** Whether an instant lies in INSTANT_RANGE. */
export function instantInRange(ms: number): boolean {
  return Number.isFinite(ms) && ms >= INSTANT_RANGE.minMs && ms <= INSTANT_RANGE.maxMs;
}

export const INSTANT_RANGE_TEXT = `from ${new Date(INSTANT_RANGE.minMs).toISOString()} to ${new Date(INSTANT_RANGE.maxMs).toISOString()}`;

/** How long run history is kept (historyRetentionDays). */
export const HISTORY_RETENTION_DAYS = Object.freeze({ min: 1, max: 36_500 });

/** The largest instant a JavaScript Date holds. */
export const MAX_INSTANT_MS = 8_640_000_000_000_000;

/**
 * Slots after the start of year 9999 never come: their times (plus jitter) could not be shown as
 * ISO-8601 dates. Only rows stored before intervals had a range reach it.
 */
export const SLOT_HORIZON_MS = Date.UTC(9999, 0, 1);

const UNITS: ReadonlyArray<readonly [string, number]> = [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', SECOND]];

/** Milliseconds in the largest whole unit: 31_536_000_000 → "365d", 1500 → "1500ms", 0 → "0s". */
export function durationLabel(ms: number): string {
  if (ms === 0) return '0s';
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** "from 1s to 366d" */
export const rangeText = (range: DurationRange): string => `from ${durationLabel(range.minMs)} to ${durationLabel(range.maxMs)}`;

/** Why `ms` is outside the range ("must be from 1s to 366d"), or null when it is inside. */
export function outOfRange(ms: number, range: DurationRange): string | null {
  return Number.isSafeInteger(ms) && ms >= range.minMs && ms <= range.maxMs ? null : `must be ${rangeText(range)}`;
}
