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

/**
 * Compiled timings, keyed by what they are (expression or interval, and zone) rather than by
 * schedule: thousands of schedules share a few timings, and a compiled cron is not small. A bounded
 * LRU keeps memory flat however many schedules are loaded.
 */
const CACHE_MAX = 64;
const cache = new Map<string, Timing>();

export function timingOf(row: TimingFields): Timing {
  const key = row.cron !== null ? `c|${row.cron}|${row.timezone}` : `e|${row.every_ms}|${row.timezone}`;
  let timing = cache.get(key);
  if (timing) {
    cache.delete(key);
  } else {
    timing = compile(row);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, timing);
  return timing;
}

function compile(row: TimingFields): Timing {
  const input = row.cron !== null ? { cron: row.cron, timezone: row.timezone } : { every: Number(row.every_ms), timezone: row.timezone };
  return compileTiming(input, 'schedule', row.timezone);
}

/** When a slot is due: its time plus the schedule's deterministic jitter. */
export function dueAtOf(scheduleId: string, slotAt: number | null, jitterMs: number): number | null {
  return slotAt === null ? null : slotAt + jitterFor(scheduleId, slotAt, jitterMs);
}

/**
 * Placing a new or changed schedule needs its timing once: compiled without the cache, so loading
 * thousands of schedules leaves short-lived garbage instead of churning long-lived cache entries.
 */
export function firstSlotAfter(row: TimingFields, after: number): number | null {
  return nextSlot(compile(row), after);
}
