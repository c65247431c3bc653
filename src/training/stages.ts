/**
 * The stages of one training, in order, and their reports: when each started and ended, and its
 * counts. `decide` comes first: a run its retrain policy finds unneeded reads no window.
 */
export const STAGES = ['decide', 'load', 'features', 'train', 'evaluate', 'gate', 'register', 'promote'] as const;
export type StageName = (typeof STAGES)[number];

export interface StageReport {
  stage: StageName;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  counts: Record<string, number>;
  note?: string;
}

export type StageBody<T> = () => Promise<{ value: T; counts: Record<string, number>; note?: string }>;

/** Runs stages, timing each and handing its report on; the reports are kept in order. */
export class StageRecorder {
  readonly reports: StageReport[] = [];

  constructor(
    private readonly now: () => number,
    private readonly onStage: (report: StageReport) => Promise<void> | void = () => undefined,
  ) {}

  async run<T>(stage: StageName, body: StageBody<T>): Promise<T> {
    const startedAt = this.now();
    const t0 = performance.now();
    const { value, counts, note } = await body();
    const report: StageReport = { stage, startedAt, endedAt: this.now(), durationMs: Math.round(performance.now() - t0), counts: finiteOnly(counts), ...(note !== undefined ? { note } : {}) };
    this.reports.push(report);
    await this.onStage(report);
    return value;
  }
}

function finiteOnly(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, v]) => Number.isFinite(v)));
}
