import { createHash } from 'node:crypto';
import type { ScheduleDefinition } from '../config/types.ts';
import { compileTiming, jitterFor, nextSlot, type Timing } from '../schedule/index.ts';
import type { ScheduleRow } from '../store/schedules.ts';

type TimingFields = Pick<ScheduleRow, 'cron' | 'every_ms' | 'timezone'>;

export function timingHash(t: TimingFields): string {
  return createHash('sha1').update(JSON.stringify([t.cron, t.every_ms, t.timezone])).digest('hex').slice(0, 16);
}

export function definitionTiming(def: ScheduleDefinition): TimingFields {
  return { cron: def.cron, every_ms: def.everyMs, timezone: def.timezone };
}

const cache = new Map<string, Timing>();

/** Compiled timing of a stored schedule, memoized by its timing hash (rows are re-read every tick). */
export function timingOf(row: Pick<ScheduleRow, 'id' | 'timing_hash'> & TimingFields): Timing {
  const key = `${row.id}:${row.timing_hash}`;
  let timing = cache.get(key);
  if (!timing) {
    const input = row.cron !== null ? { cron: row.cron, timezone: row.timezone } : { every: Number(row.every_ms), timezone: row.timezone };
    timing = compileTiming(input, `schedules.${row.id}`, row.timezone);
    if (cache.size > 50_000) cache.clear();
    cache.set(key, timing);
  }
  return timing;
}

/** When a slot is due: its time plus the schedule's deterministic jitter. */
export function dueAtOf(scheduleId: string, slotAt: number | null, jitterMs: number): number | null {
  return slotAt === null ? null : slotAt + jitterFor(scheduleId, slotAt, jitterMs);
}

export function firstSlotAfter(row: Pick<ScheduleRow, 'id' | 'timing_hash'> & TimingFields, after: number): number | null {
  return nextSlot(timingOf(row), after);
}
