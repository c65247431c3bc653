import { MAX_TIMER_MS } from './timers.ts';
import type { EngineEvents } from './events.ts';

/** idle → running → draining → stopped; a long-lived part announces each move. */
export type LifecycleState = 'idle' | 'running' | 'draining' | 'stopped';

export class Lifecycle {
  #state: LifecycleState = 'idle';
  constructor(
    readonly component: string,
    private readonly events?: EngineEvents,
  ) {}
  get state(): LifecycleState {
    return this.#state;
  }
  get running(): boolean {
    return this.#state === 'running';
  }
  to(next: LifecycleState): void {
    const from = this.#state;
    if (from === next) return;
    this.#state = next;
    this.events?.emit('state:changed', { component: this.component, from, to: next });
  }
}

/** A wait that a wake() call can cut short; timers are capped so none runs longer than ~30 s. */
export class Waker {
  #timer: NodeJS.Timeout | null = null;
  #resolve: (() => void) | null = null;
  /** A wake() that came while nobody waited: the next wait() returns at once instead of losing it. */
  #pending = false;
  static readonly MAX_WAIT_MS = MAX_TIMER_MS;

  wait(ms: number): Promise<void> {
    this.#settle();
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(() => this.#settle(), Math.max(0, Math.min(ms, Waker.MAX_WAIT_MS)));
    });
  }

  wake(): void {
    if (this.#resolve) this.#settle();
    else this.#pending = true;
  }

  #settle(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.();
  }
}
