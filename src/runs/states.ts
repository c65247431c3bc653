/** The run state machine. Terminal states never change again. */
export const RUN_STATUS = {
  queued: 'queued',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timedOut: 'timed_out',
  skipped: 'skipped',
} as const;
export type RunStatus = (typeof RUN_STATUS)[keyof typeof RUN_STATUS];

export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'];
export const ACTIVE_STATUSES: readonly RunStatus[] = ['queued', 'running'];
export const ALL_STATUSES: readonly RunStatus[] = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES];

/**
 * What queued a run: a schedule slot, a person or program (API, CLI), a dependency that
 * succeeded, or the service's own start (a declared model's first training, `trainOnStart`).
 * Recorded on the run, given to its process as NIGHTSHIFT_TRIGGER, and (as `schedule` for a slot)
 * on the version a training registers and in the champion history.
 */
export const RUN_TRIGGER = { slot: 'slot', manual: 'manual', dependency: 'dependency', startup: 'startup' } as const;
export type RunTrigger = (typeof RUN_TRIGGER)[keyof typeof RUN_TRIGGER];
export const RUN_TRIGGERS: readonly RunTrigger[] = Object.values(RUN_TRIGGER);

/** What became of a schedule slot; every slot gets exactly one. */
export const SLOT_FATE = {
  fired: 'fired',
  firedLate: 'fired_late',
  skipped: 'skipped',
  missed: 'missed',
} as const;
export type SlotFate = (typeof SLOT_FATE)[keyof typeof SLOT_FATE];
