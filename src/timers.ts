/**
 * Timers that never wait longer than 30 s in one go (long waits are chained), so a long grace or
 * timeout survives clock jumps and sleeps sensibly and no single timer outlives its reason.
 */
export const MAX_TIMER_MS = 30_000;

export interface CappedTimer {
  clear(): void;
}

/** Calls fn once `ms` have passed, measured on the monotonic clock, in steps of at most 30 s. */
export function cappedTimeout(fn: () => void, ms: number): CappedTimer {
  const due = performance.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout | null = null;
  const arm = () => {
    const left = due - performance.now();
    if (left <= 0) {
      timer = null;
      fn();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return {
    clear: () => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
