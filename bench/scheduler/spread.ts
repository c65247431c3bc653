/**
 * The fire-time distribution shared by the engine and the croner peer: schedule i fires once, at
 * second `floor(i · windowS / N)` after a whole-second start instant, via a daily 6-field cron
 * (`s m h * * *`, UTC). ~N / windowS slots share each second.
 */
export interface Spread {
  /** First slot, a whole second (epoch ms). */
  startAt: number;
  windowS: number;
  count: number;
}

export function slotAt(s: Spread, i: number): number {
  return s.startAt + Math.floor((i * s.windowS) / s.count) * 1000;
}

export function cronAt(at: number): string {
  const d = new Date(at);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
}

/** The spread a child process measures, from its argv `<windowS> <count> <leadS>`: it starts leadS from now. */
export function spreadFromArgs(args: readonly string[]): Spread {
  const [windowS, count, leadS] = args.map(Number);
  if (!windowS || !count || !leadS) throw new Error(`bad arguments "${args.join(' ')}"; expected <windowS> <count> <leadS>`);
  return { startAt: Math.ceil((Date.now() + leadS * 1000) / 1000) * 1000, windowS, count };
}
