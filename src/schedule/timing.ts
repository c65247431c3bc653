/**
 * When a schedule's slots are: compiled once from config (cron or fixed interval), then asked
 * for the next slot, the previous slot, or how many slots lie in a range. Pure and
 * deterministic: every node computes the same slot instants.
 *
 * Cron is matched on the zone's wall clock and each matching wall time is mapped to an instant
 * with the DST policy of zoned-time.ts. Several wall times in a spring-forward gap map to the
 * same instant; they are one slot, not several. At fall-back a fixed-time pattern fires once, at
 * the first occurrence; a pattern with a wildcard or a step in its minute or hour field follows
 * the clock through both occurrences (clock-following.ts).
 */
import { NsError } from '../errors.ts';
import { countFollowing, followsClock, nextFollowing, prevFollowing } from './clock-following.ts';
import { DURATION_RANGES, durationLabel, SLOT_HORIZON_MS } from '../limits.ts';
import { CronWall } from './cron-wall.ts';
import { validateCron } from './cron-validate.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { assertTimeZone, transitionsBetween, wallCeiling, wallToInstant } from './zoned-time.ts';

export type TimingInput = { cron?: string; every?: string | number; timezone?: string; anchor?: number };

/** The names errors use for each input field; default `${fieldPrefix}.cron` and so on. */
export interface TimingFieldNames {
  cron: string;
  every: string;
  timezone: string;
  anchor: string;
}

export interface CronTiming {
  readonly kind: 'cron';
  readonly expression: string;
  readonly timezone: string;
  readonly wall: CronWall;
  /** Fires in both occurrences of a repeated hour (wildcard or step in minute or hour). */
  readonly followsClock: boolean;
}

export interface IntervalTiming {
  readonly kind: 'interval';
  readonly everyMs: number;
  /** Slots are anchorMs + k * everyMs; 0 (the epoch) aligns them identically on every node. */
  readonly anchorMs: number;
}

export type Timing = CronTiming | IntervalTiming;

export const MIN_EVERY_MS = DURATION_RANGES.every.minMs;
export const MAX_EVERY_MS = DURATION_RANGES.every.maxMs;
const DAY_MS = 86_400_000;

function fieldNames(prefix: string, overrides: Partial<TimingFieldNames>): TimingFieldNames {
  const base = prefix === '' ? '' : `${prefix}.`;
  return {
    cron: overrides.cron ?? `${base}cron`,
    every: overrides.every ?? `${base}every`,
    timezone: overrides.timezone ?? `${base}timezone`,
    anchor: overrides.anchor ?? `${base}anchor`,
  };
}

const invalid = (field: string, message: string) => new NsError('NS_SCHEDULE_INVALID', message, { field });

/**
 * An interval given by a user is at most MAX_EVERY_MS (src/limits.ts). Not part of compileTiming,
 * which also compiles rows stored before the range existed: those must keep compiling.
 */
export function checkEvery(timing: Timing, field: string, given: string | number | undefined): void {
  if (timing.kind !== 'interval' || timing.everyMs <= MAX_EVERY_MS) return;
  throw invalid(field, `${field}="${given ?? timing.everyMs}": must be at most ${durationLabel(MAX_EVERY_MS)} (intervals range from ${durationLabel(MIN_EVERY_MS)} to ${durationLabel(MAX_EVERY_MS)}); example "6h"`);
}

/**
 * Validates and compiles a schedule's timing. `names` renames fields in messages, e.g.
 * `{ cron: 'ML_TRAINING_SCHEDULE' }` for a value that came from that env variable.
 */
export function compileTiming(
  input: TimingInput,
  fieldPrefix: string,
  defaultZone = 'UTC',
  names: Partial<TimingFieldNames> = {},
): Timing {
  const f = fieldNames(fieldPrefix, names);
  // Rows from the store carry null for the unused one.
  const hasCron = input.cron != null;
  const hasEvery = input.every != null;
  if (hasCron && hasEvery) {
    throw invalid(f.cron, `${f.cron}="${input.cron}" and ${f.every}="${input.every}": set exactly one of them, not both; example ${f.cron}="0 2 * * *"`);
  }
  if (!hasCron && !hasEvery) {
    throw invalid(f.cron, `${f.cron} / ${f.every}: neither is set; set exactly one, e.g. ${f.cron}="0 2 * * *" or ${f.every}="6h"`);
  }

  if (hasEvery) {
    const everyMs = parseDuration(input.every!, f.every);
    if (everyMs < MIN_EVERY_MS) {
      throw invalid(f.every, `${f.every}="${input.every}": must be at least ${formatDuration(MIN_EVERY_MS)}; example "6h"`);
    }
    const anchorMs = input.anchor ?? 0;
    if (!Number.isSafeInteger(anchorMs)) {
      throw invalid(f.anchor, `${f.anchor}="${anchorMs}": must be a whole number of milliseconds since the Unix epoch; example "0"`);
    }
    // An interval ignores the zone, but a typo in it is still a config error worth reporting.
    if (input.timezone != null) assertTimeZone(input.timezone, f.timezone);
    return Object.freeze({ kind: 'interval', everyMs, anchorMs });
  }

  const expression = String(input.cron).trim();
  const reason = validateCron(expression);
  if (reason) throw invalid(f.cron, `${f.cron}="${input.cron}": ${reason}; example "0 2 * * *"`);
  const timezone = assertTimeZone(input.timezone ?? defaultZone, f.timezone);
  return Object.freeze({ kind: 'cron', expression, timezone, wall: new CronWall(expression), followsClock: followsClock(expression) });
}

/**
 * The last answer of each cron search, per timing. Many schedules share a timing (every tenant's
 * "0 2 * * *" in one zone), and the scheduler plans all the schedules due at one instant together:
 * they ask the same question of the same timing, and only the first pays for the search.
 */
const lastNext = new WeakMap<Timing, Map<number, number | null>>();
const lastPrev = new WeakMap<Timing, Map<number, number | null>>();
/** Answers kept per timing and direction: planning one schedule asks a couple of questions in turn. */
const REMEMBERED = 4;

function remembered(memo: WeakMap<Timing, Map<number, number | null>>, timing: Timing, at: number, search: () => number | null): number | null {
  let answers = memo.get(timing);
  if (!answers) memo.set(timing, (answers = new Map()));
  const known = answers.get(at);
  if (known !== undefined) return known;
  const slot = search();
  if (answers.size >= REMEMBERED) answers.delete(answers.keys().next().value as number);
  answers.set(at, slot);
  return slot;
}

/**
 * The first slot strictly after afterMs, or null if the schedule never fires again: also when the
 * slot lies beyond SLOT_HORIZON_MS (a row stored before intervals had a range).
 */
export function nextSlot(timing: Timing, afterMs: number): number | null {
  if (timing.kind === 'interval') {
    const slot = timing.anchorMs + (Math.floor((afterMs - timing.anchorMs) / timing.everyMs) + 1) * timing.everyMs;
    return slot <= SLOT_HORIZON_MS ? slot : null;
  }
  return remembered(lastNext, timing, afterMs, () => {
    if (timing.followsClock) return nextFollowing(timing.timezone, timing.wall, afterMs);
    const wall = timing.wall.after(wallCeiling(timing.timezone, afterMs));
    return wall === null ? null : wallToInstant(timing.timezone, wall);
  });
}

/** The next n slots after afterMs, strictly increasing (fewer if the schedule ends). */
export function nextSlots(timing: Timing, afterMs: number, n: number): number[] {
  const slots: number[] = [];
  let cursor: number | null = afterMs;
  while (slots.length < n && (cursor = nextSlot(timing, cursor)) !== null) slots.push(cursor);
  return slots;
}

/** The last slot strictly before beforeMs, or null. */
export function prevSlot(timing: Timing, beforeMs: number): number | null {
  if (timing.kind === 'interval') {
    return timing.anchorMs + (Math.ceil((beforeMs - timing.anchorMs) / timing.everyMs) - 1) * timing.everyMs;
  }
  return remembered(lastPrev, timing, beforeMs, () => {
    if (timing.followsClock) return prevFollowing(timing.timezone, timing.wall, beforeMs);
    const wall = timing.wall.before(wallCeiling(timing.timezone, beforeMs - 1) + 1);
    return wall === null ? null : wallToInstant(timing.timezone, wall);
  });
}

/** How many slots lie in (afterMs, upToMs], without enumerating them. */
export function countSlots(timing: Timing, afterMs: number, upToMs: number): number {
  if (upToMs <= afterMs) return 0;
  if (timing.kind === 'interval') {
    const { anchorMs, everyMs } = timing;
    return Math.floor((upToMs - anchorMs) / everyMs) - Math.floor((afterMs - anchorMs) / everyMs);
  }
  const { timezone, wall } = timing;
  if (timing.followsClock) return countFollowing(timezone, wall, afterMs, upToMs);
  const lo = wallCeiling(timezone, afterMs);
  const hi = wallCeiling(timezone, upToMs);
  let count = wall.countBetween(lo, hi);
  // Wall times from a gap's start through its end all map to the transition instant: one slot.
  for (const t of transitionsBetween(timezone, afterMs - DAY_MS, upToMs + DAY_MS)) {
    if (t.offsetAfter <= t.offsetBefore) continue;
    const collapsed = wall.countBetween(Math.max(lo, t.at + t.offsetBefore - 1), Math.min(hi, t.at + t.offsetAfter));
    if (collapsed > 1) count -= collapsed - 1;
  }
  return count;
}
