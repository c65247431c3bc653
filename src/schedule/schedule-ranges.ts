import { NsError } from '../errors.ts';
import { DURATION_RANGES, durationLabel, outOfRange } from '../limits.ts';

/** A schedule's durations as stored, in milliseconds. */
export interface ScheduleDurations {
  everyMs: number | null;
  jitterMs: number;
  misfireGraceMs: number;
}

/**
 * The last check before a schedule is written over the API, whoever built it (the schedule routes, a
 * seed route, a model declared over the API): every duration within its range (src/limits.ts).
 * NS_SCHEDULE_INVALID naming the field as the API and the config file call it.
 */
export function checkScheduleRanges(def: ScheduleDurations): void {
  const fields = [
    ['every', def.everyMs, DURATION_RANGES.every],
    ['jitter', def.jitterMs, DURATION_RANGES.jitter],
    ['misfireGrace', def.misfireGraceMs, DURATION_RANGES.misfireGrace],
  ] as const;
  for (const [field, ms, range] of fields) {
    if (ms === null) continue;
    const reason = outOfRange(ms, range);
    if (reason !== null) throw new NsError('NS_SCHEDULE_INVALID', `${field}="${durationLabel(ms)}": ${reason}`, { field, details: { ms } });
  }
}
