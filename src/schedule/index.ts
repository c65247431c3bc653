/** Pure schedule math: durations, zones and DST, cron validation, slots, catch-up planning. */
export { formatDuration, parseDuration } from './duration.ts';
export { assertTimeZone, isoInZone, offsetAt, transitionsBetween, wallAt, wallCeiling, wallToInstant, type Transition } from './zoned-time.ts';
export { CRON_NICKNAMES, validateCron } from './cron-validate.ts';
export {
  checkEvery,
  compileTiming,
  countSlots,
  MAX_EVERY_MS,
  MIN_EVERY_MS,
  nextSlot,
  nextSlots,
  prevSlot,
  type CronTiming,
  type IntervalTiming,
  type Timing,
  type TimingFieldNames,
  type TimingInput,
} from './timing.ts';
export { jitterFor } from './jitter.ts';
export {
  CATCH_UP_POLICIES,
  DEFAULT_MAX_RECORDED,
  DEFAULT_ON_TIME_TOLERANCE_MS,
  MIN_MISFIRE_GRACE_MS,
  MISFIRE_GRACE_RULE,
  onTimeToleranceFor,
  planDue,
  type CatchUpPolicy,
  type DuePlan,
  type PlanDueInput,
  type SlotDecision,
} from './plan-due.ts';
export { describeTiming } from './describe.ts';
export { checkJitter } from './jitter-bound.ts';
export { checkScheduleRanges, type ScheduleDurations } from './schedule-ranges.ts';
