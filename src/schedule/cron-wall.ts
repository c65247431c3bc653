/**
 * A cron expression evaluated on wall-clock time only (croner run at UTC offset 0 on wall
 * readings). Zones and DST are applied afterwards by timing.ts, so this file never sees them.
 */
import { Cron, CronPattern } from 'croner';
import { CRON_OPTIONS } from './cron-validate.ts';

const DAY_MS = 86_400_000;

export class CronWall {
  readonly #expression: string;
  readonly #cron: Cron;
  #secondsOfDay: Int32Array | undefined;

  /** The expression must already have passed validateCron. */
  constructor(expression: string) {
    this.#expression = expression;
    this.#cron = new Cron(expression, { ...CRON_OPTIONS });
  }

  /** First matching wall time strictly after wallMs (whole seconds), or null past croner's horizon. */
  after(wallMs: number): number | null {
    return this.#cron.nextRun(new Date(wallMs))?.getTime() ?? null;
  }

  /** Last matching wall time strictly before wallMs, or null. */
  before(wallMs: number): number | null {
    return this.#cron.previousRuns(1, new Date(wallMs))[0]?.getTime() ?? null;
  }

  /**
   * How many matching wall times lie in (loMs, hiMs]. Cron is separable into "which days" and
   * "which times of day", so whole days cost one croner call each and a per-second schedule
   * over a year is counted without visiting its 31 million slots.
   */
  countBetween(loMs: number, hiMs: number): number {
    const times = this.#times();
    let count = 0;
    let cursor = loMs;
    for (;;) {
      const hit = this.after(cursor);
      if (hit === null || hit > hiMs) return count;
      const dayStart = Math.floor(hit / DAY_MS) * DAY_MS;
      // Second-of-day bounds within this day: a time s counts if lo < s <= hi. Nothing in this
      // day before `hit` matches after loMs, so the lower bound is just below `hit`.
      const lo = Math.floor((hit - 1 - dayStart) / 1000);
      const hi = Math.min(86_399, Math.floor((hiMs - dayStart) / 1000));
      count += upperBound(times, hi) - upperBound(times, lo);
      cursor = dayStart + DAY_MS - 1;
    }
  }

  /** Sorted seconds-of-day at which the expression fires on any day it matches. */
  #times(): Int32Array {
    if (!this.#secondsOfDay) {
      // A CronPattern holds ~80 KB (croner's year table): build it only here, and let it go.
      const p = new CronPattern(this.#expression, undefined, { mode: CRON_OPTIONS.mode });
      const list: number[] = [];
      for (let h = 0; h < 24; h++) {
        if (!p.hour[h]) continue;
        for (let m = 0; m < 60; m++) {
          if (!p.minute[m]) continue;
          for (let s = 0; s < 60; s++) if (p.second[s]) list.push(h * 3600 + m * 60 + s);
        }
      }
      this.#secondsOfDay = Int32Array.from(list);
    }
    return this.#secondsOfDay;
  }
}

/** Number of entries <= value in a sorted array. */
function upperBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
