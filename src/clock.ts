/** Time source injected everywhere: production uses the system clock, tests a ManualClock. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock that moves only when told to; for schedule tests (no sleeps). */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number | Date | string) {
    this.#now = typeof start === 'number' ? start : new Date(start).getTime();
  }
  now(): number {
    return this.#now;
  }
  set(to: number | Date | string): void {
    this.#now = typeof to === 'number' ? to : new Date(to).getTime();
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}
