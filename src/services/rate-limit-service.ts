/**
 * Fixed-window request counters for the API's rate limits (api/rate-limit.ts). On PostgreSQL the
 * counters are rows every node increments (store/rate-limits.ts), so N nodes share one budget; on
 * SQLite (one node) they are kept in memory. Windows run on the injected clock.
 */
import type { Clock } from '../clock.ts';
import type { Db } from '../store/db.ts';
import { incrementRateCounter, pruneRateCounters } from '../store/rate-limits.ts';

export interface RateCount {
  /** Requests counted in the window, this one included. */
  count: number;
  /** When the window ends (epoch ms). */
  resetAt: number;
}

export class RateLimitService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #windows = new Map<string, RateCount>();
  #calls = 0;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Whether the counters are shared with other nodes. */
  get shared(): boolean {
    return this.#db.dialect === 'postgres';
  }

  async count(key: string, windowMs: number): Promise<RateCount> {
    const now = this.#clock.now();
    if (this.shared) {
      if (++this.#calls % 1000 === 0) void pruneRateCounters(this.#db.k, now).catch(() => undefined);
      return incrementRateCounter(this.#db.k, key, now, windowMs);
    }
    return this.#countInMemory(key, windowMs, now);
  }

  /** count() without a promise when the counters are this process's own (SQLite); null when shared. */
  countNow(key: string, windowMs: number): RateCount | null {
    return this.shared ? null : this.#countInMemory(key, windowMs, this.#clock.now());
  }

  #countInMemory(key: string, windowMs: number, now: number): RateCount {
    let w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      // Ended windows go when the map grows, so it holds about the tenants active lately.
      if (this.#windows.size > 10_000) for (const [k, old] of this.#windows) if (old.resetAt <= now) this.#windows.delete(k);
      w = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, w);
    }
    w.count += 1;
    return { count: w.count, resetAt: w.resetAt };
  }
}
