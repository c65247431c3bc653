import { NsError } from '../errors.ts';
import { formatDuration } from './duration.ts';
import { nextSlots, type Timing } from './timing.ts';

/**
 * Jitter spreads a slot's start over [0, jitter); it must stay below the shortest gap between
 * consecutive slots, or a slot's jittered start would pass the next slot and slots would pile up.
 * The gap is measured over the next slots from `from` (DST days included for crons).
 */
export function checkJitter(timing: Timing, jitterMs: number, field: string, from: number): void {
  if (jitterMs <= 0) return;
  const slots = nextSlots(timing, from, 48);
  let gap = Infinity;
  for (let i = 1; i < slots.length; i++) gap = Math.min(gap, slots[i]! - slots[i - 1]!);
  if (jitterMs >= gap) {
    throw new NsError('NS_SCHEDULE_INVALID', `${field}="${formatDuration(jitterMs)}": must be shorter than the ${formatDuration(gap)} between slots; example "${formatDuration(Math.floor(gap / 10))}"`, { field });
  }
}
