/**
 * Slots of cron patterns that follow the clock through a repeated hour (Vixie cron's rule, also in
 * the README): a pattern with a wildcard or a step in its minute or hour field (`*\/15 * * * *`,
 * `0 * * * *`, `*\/30 1 * * *`, `0 *\/2 * * *`) fires at every instant whose wall reading matches,
 * so at fall-back it fires in both occurrences of the repeated hour instead of pausing for it.
 * Fixed-time patterns (`30 1 * * *`, `0,30 1 * * *`, `0 1-3 * * *`) keep "once, at the first
 * occurrence" (timing.ts). Spring-forward is the same for both kinds: the wall times inside the gap
 * are one slot, at the first instant after it.
 *
 * Between two offset changes, wall = instant + offset is a bijection, so each stretch of constant
 * offset is searched on the wall clock directly and the stretches are stitched at the transitions.
 */
import { cronFields } from './cron-validate.ts';
import type { CronWall } from './cron-wall.ts';
import { offsetAt, transitionsBetween } from './zoned-time.ts';

/** True when the minute or the hour field holds a wildcard or a step (seconds do not count). */
export function followsClock(expression: string): boolean {
  const fields = cronFields(expression);
  if (!fields) return false;
  const [minute = '', hour = ''] = fields.length === 6 ? fields.slice(1) : fields;
  return /[*/]/.test(minute) || /[*/]/.test(hour);
}

/** The first slot strictly after afterMs. */
export function nextFollowing(zone: string, wall: CronWall, afterMs: number): number | null {
  // The stretch of constant offset being searched ends at the first transition after `start`;
  // its wall readings after `wallFrom` are the candidates.
  let start = afterMs;
  let offset = offsetAt(zone, afterMs);
  let wallFrom = afterMs + offset;
  for (;;) {
    const hit = wall.after(wallFrom);
    if (hit === null) return null;
    const instant = hit - offset;
    const change = transitionsBetween(zone, start, instant)[0];
    if (!change) return instant;
    // The stretch ended before the hit. A hit below the next stretch's first reading lies in a
    // spring-forward gap: one slot, at the transition.
    if (hit < change.at + change.offsetAfter) return change.at;
    // From the transition on the wall reads `at + offsetAfter`; at fall-back that reading repeats
    // an hour already seen, and its matches are slots again.
    start = change.at;
    offset = change.offsetAfter;
    wallFrom = change.at - 1 + offset;
  }
}

/** The last slot strictly before beforeMs. */
export function prevFollowing(zone: string, wall: CronWall, beforeMs: number): number | null {
  // The stretch being searched: instants before `to` (exclusive), at `offset`.
  let to = beforeMs;
  let offset = offsetAt(zone, beforeMs - 1);
  for (;;) {
    const hit = wall.before(to + offset);
    if (hit === null) return null;
    const instant = hit - offset;
    const changes = transitionsBetween(zone, instant, to - 1);
    const change = changes[changes.length - 1];
    if (!change) return instant;
    // The stretch began at change.at. A gap just before it is one slot, at change.at itself.
    if (change.offsetAfter > change.offsetBefore) {
      const inGap = wall.before(change.at + change.offsetAfter);
      if (inGap !== null && inGap >= change.at + change.offsetBefore) return change.at;
    }
    to = change.at;
    offset = change.offsetBefore;
  }
}

/** How many slots lie in (afterMs, upToMs]. */
export function countFollowing(zone: string, wall: CronWall, afterMs: number, upToMs: number): number {
  let count = 0;
  let from = afterMs;
  let offset = offsetAt(zone, afterMs);
  for (const change of transitionsBetween(zone, afterMs, upToMs)) {
    count += wall.countBetween(from + offset, change.at - 1 + offset);
    // A gap whose wall times match is one slot at the transition, unless the transition's own
    // reading matches too (then the stretch after it counts that slot).
    if (change.offsetAfter > change.offsetBefore) {
      const first = change.at + change.offsetAfter;
      const inGap = wall.countBetween(change.at + change.offsetBefore - 1, first - 1) > 0;
      if (inGap && wall.countBetween(first - 1, first) === 0) count++;
    }
    from = change.at - 1;
    offset = change.offsetAfter;
  }
  return count + wall.countBetween(from + offset, upToMs + offset);
}
