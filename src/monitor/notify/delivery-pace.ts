/**
 * Delivery yields to the API. On a machine whose cores the API keeps busy, every webhook costs CPU
 * twice (here, to send it, and in the receiver, often on the same machine), and the API's tail
 * latency pays for it (the monitor benchmark's outbox.api.busy.p99). So while the API's event loop
 * is busy, the outbox delivers at a floor rate, PACED_PER_SECOND; when it is not, at full speed.
 *
 * The API's thread measures its own event-loop utilization (`ApiLoadGauge`) into a shared integer
 * the delivery thread reads for free (`ApiLoad`): no message per round, nothing to wait on.
 */
import { performance } from 'node:perf_hooks';

/**
 * Deliveries per second while the API is busy: the outbox's promise (issue 16: ≥ 1,000/s) with a
 * 20 % margin, so that a backlog still drains at a known rate however long the API stays busy.
 * Every delivery above the promise costs the API (here, and in a receiver on the same machine), so
 * the floor stays close to it: 1,500/s left the benchmark's busy p99 at 2.8× idle.
 */
export const PACED_PER_SECOND = 1_200;

/** Above this share of its time running, the API's event loop counts as busy. */
export const BUSY_UTILIZATION = 0.5;

/** How often the API's thread measures its utilization: pacing follows the load within this. */
export const GAUGE_INTERVAL_MS = 100;

/**
 * Deliveries that may start at once after a quiet moment while paced (a round's claim and record
 * leave one between rounds). Small: a burst of sends wakes the receiver and this thread for a
 * burst of work that delays the API's requests more than the same sends spread out.
 */
export const BURST = 4;

/** The API thread's event-loop utilization in thousandths, shared with the delivery thread. */
export interface ApiLoad {
  /** Whether the API's event loop was busy over the last interval. */
  busy(): boolean;
}

export function sharedLoadBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/** The delivery thread's view of the buffer the API's thread writes. */
export function apiLoadOf(buffer: SharedArrayBuffer): ApiLoad {
  const cell = new Int32Array(buffer);
  const threshold = Math.round(BUSY_UTILIZATION * 1000);
  return { busy: () => Atomics.load(cell, 0) >= threshold };
}

/** On the API's thread: writes its event-loop utilization over each interval into the buffer. */
export class ApiLoadGauge {
  readonly #cell: Int32Array;
  #last = performance.eventLoopUtilization();
  #timer: NodeJS.Timeout | null = null;

  constructor(buffer: SharedArrayBuffer) {
    this.#cell = new Int32Array(buffer);
  }

  start(): void {
    if (this.#timer) return;
    this.#last = performance.eventLoopUtilization();
    this.#timer = setInterval(() => this.#sample(), GAUGE_INTERVAL_MS);
    // Measuring never keeps the process alive.
    this.#timer.unref();
  }

  #sample(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.#last);
    this.#last = now;
    Atomics.store(this.#cell, 0, Math.round(utilization * 1000));
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    Atomics.store(this.#cell, 0, 0);
  }
}

export interface DeliveryPaceOptions {
  load: ApiLoad;
  perSecond?: number;
  /** Monotonic milliseconds (performance.now); tests pass their own. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A token bucket that applies only while the API is busy. `next()` resolves when the next delivery
 * may start: at once when the API is not busy or a token is left, else when its turn comes. Turns
 * are reserved in call order, so lanes waiting at once are spread over time instead of woken together.
 */
export class DeliveryPace {
  readonly #load: ApiLoad;
  readonly #perMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #tokens = BURST;
  #at: number;

  constructor(o: DeliveryPaceOptions) {
    const perSecond = o.perSecond ?? PACED_PER_SECOND;
    if (!(perSecond > 0)) throw new Error(`DeliveryPace perSecond must be a positive number of deliveries per second, got ${perSecond}`);
    this.#load = o.load;
    this.#perMs = perSecond / 1000;
    this.#now = o.now ?? (() => performance.now());
    this.#sleep = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#at = this.#now();
  }

  /** Resolves when the next delivery may start; null when it may start now (no promise to wait on). */
  next(): Promise<void> | null {
    const now = this.#now();
    if (!this.#load.busy()) {
      // Full speed; a full bucket for when the API gets busy again. Lanes already waiting for a
      // turn wait it out (at most a round's lanes, about 13 ms at the floor rate).
      this.#tokens = BURST;
      this.#at = now;
      return null;
    }
    this.#tokens = Math.min(BURST, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    this.#tokens -= 1;
    if (this.#tokens >= 0) return null;
    return this.#sleep(-this.#tokens / this.#perMs);
  }
}
