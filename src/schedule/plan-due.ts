/**
 * Catch-up planning: given the oldest unprocessed slot and the current time, decide the fate of
 * every slot that has come due. Pure, so "slept for 2 h", "clock went backwards" and "down for a
 * year" are plain unit tests.
 *
 * Slots are classified by lateness, counted from the due time (slotAt plus dueDelayOf(slotAt),
 * the slot's jitter):
 *   <= min(onTimeToleranceMs, misfireGraceMs)   on time: always fires, whatever the policy
 *   <= misfireGraceMs                           backlog: handled by the catch-up policy
 *   beyond                                      missed: recorded, never silently dropped
 * The tolerance never exceeds the grace: "misfireGrace: 30s" means 45 s late is missed.
 *
 * Slots are walked newest first, because that is where the fires are; once `maxRecorded`
 * decisions exist the older remainder is counted (not enumerated) into the omitted* totals.
 * Work is therefore bounded by maxRecorded plus the fires, even for a 1-second schedule after a
 * year of downtime.
 */
import { formatDuration } from './duration.ts';
import { countSlots, nextSlot, prevSlot, type Timing } from './timing.ts';

export const CATCH_UP_POLICIES = ['latest', 'skip', 'all'] as const;
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];

export interface SlotDecision {
  slotAt: number;
  action: 'fire' | 'coalesced' | 'catch_up_skipped' | 'missed';
  lateMs: number;
  reason?: string;
}

export interface PlanDueInput {
  timing: Timing;
  /** The oldest unprocessed slot (inclusive); everything before it was already decided. */
  firstSlotAt: number;
  now: number;
  misfireGraceMs: number;
  catchUp: CatchUpPolicy;
  /** Most backlog slots 'all' fires per plan (also capped by maxRecorded). */
  catchUpMax: number;
  /** Default DEFAULT_ON_TIME_TOLERANCE_MS; capped at misfireGraceMs. */
  onTimeToleranceMs?: number;
  /**
   * How long after its slot time a slot is due (its jitter); lateness counts from then. Due times
   * must keep the slots' order (jitter shorter than the gap between slots: checkJitter).
   */
  dueDelayOf?: (slotAt: number) => number;
  maxRecorded?: number;
}

export interface DuePlan {
  /** Oldest first. */
  decisions: SlotDecision[];
  /** The first slot strictly after now: where the next plan starts. */
  nextSlotAt: number | null;
  /** Missed slots (including those past the catch-up cap) that were counted but not listed. */
  omittedMissed: number;
  /** Backlog slots coalesced under 'latest' that were counted but not listed. */
  omittedCoalesced: number;
  /** Backlog slots skipped under 'skip' that were counted but not listed. */
  omittedSkipped: number;
}

export const DEFAULT_ON_TIME_TOLERANCE_MS = 60_000;
export const DEFAULT_MAX_RECORDED = 1_000;

/**
 * The shortest misfire grace a schedule may have. A slot is on time only within its grace, and the
 * scheduler reaches a due slot a moment after it is due, so a grace of 0 would miss nearly every slot.
 */
export const MIN_MISFIRE_GRACE_MS = 1_000;
export const MISFIRE_GRACE_RULE =
  'must be at least 1s: a slot counts as on time only within its misfire grace, and the scheduler reaches a due slot a moment after it is due (to run no late slot, keep a grace and set catchUp: skip)';

/** How late a slot of a schedule with this grace may be and still be on time. */
export function onTimeToleranceFor(misfireGraceMs: number, toleranceMs = DEFAULT_ON_TIME_TOLERANCE_MS): number {
  return Math.min(toleranceMs, misfireGraceMs);
}

export function planDue(input: PlanDueInput): DuePlan {
  const { timing, firstSlotAt, now, misfireGraceMs, catchUp, catchUpMax } = input;
  const tolerance = onTimeToleranceFor(misfireGraceMs, input.onTimeToleranceMs);
  const maxRecorded = input.maxRecorded ?? DEFAULT_MAX_RECORDED;
  const delayOf = input.dueDelayOf ?? (() => 0);
  checkInput(input, input.onTimeToleranceMs ?? DEFAULT_ON_TIME_TOLERANCE_MS, maxRecorded);

  const plan: DuePlan = { decisions: [], nextSlotAt: firstSlotAt, omittedMissed: 0, omittedCoalesced: 0, omittedSkipped: 0 };
  // The clock went backwards: those slots are already processed; wait until it catches up.
  if (now < firstSlotAt) return plan;

  const fireCap = Math.min(catchUpMax, maxRecorded);
  const newestFirst: SlotDecision[] = [];
  let latestFire: SlotDecision | undefined;
  let coalesced = 0;
  let caughtUp = 0;
  let unrecorded: number | null = null;

  const decide = (slotAt: number, lateMs: number): SlotDecision => {
    if (lateMs <= tolerance) return { slotAt, action: 'fire', lateMs };
    if (lateMs > misfireGraceMs) {
      return { slotAt, action: 'missed', lateMs, reason: `late by ${formatDuration(lateMs, 2)}, beyond misfire grace ${formatDuration(misfireGraceMs)}` };
    }
    if (catchUp === 'skip') {
      return { slotAt, action: 'catch_up_skipped', lateMs, reason: `late by ${formatDuration(lateMs, 2)}; catch-up policy "skip"` };
    }
    if (catchUp === 'all') {
      if (caughtUp >= fireCap) return { slotAt, action: 'missed', lateMs, reason: `catch-up cap ${fireCap} reached` };
      caughtUp++;
      return { slotAt, action: 'fire', lateMs, reason: 'catch-up (policy "all")' };
    }
    // 'latest': the backlog collapses into the newest slot that fires, on time or late.
    if (latestFire) {
      return { slotAt, action: 'coalesced', lateMs, reason: `coalesced into slot ${new Date(latestFire.slotAt).toISOString()}` };
    }
    return { slotAt, action: 'fire', lateMs, reason: 'catch-up (policy "latest")' };
  };

  // Slots are integers, so "before now + 1" is "at or before now".
  let cursor = Math.floor(now) + 1;
  for (;;) {
    const slotAt = prevSlot(timing, cursor);
    if (slotAt === null || slotAt < firstSlotAt) break;
    const decision = decide(slotAt, now - slotAt - delayOf(slotAt));
    if (newestFirst.length >= maxRecorded && decision.action !== 'fire') {
      unrecorded = slotAt;
      break;
    }
    if (decision.action === 'fire') latestFire ??= decision;
    else if (decision.action === 'coalesced') coalesced++;
    newestFirst.push(decision);
    cursor = slotAt;
  }

  if (unrecorded !== null) {
    // Everything in [firstSlotAt, unrecorded] is older than what was listed; count it by region.
    // The regions are drawn on slot times (no jitter): a slot within its jitter of a boundary may
    // be counted in the neighbouring region. None of these slots fires either way.
    const from = firstSlotAt - 1;
    const missedUpTo = Math.floor(now - misfireGraceMs) - 1;
    const backlogUpTo = Math.floor(now - tolerance) - 1;
    plan.omittedMissed = countSlots(timing, from, Math.min(unrecorded, missedUpTo));
    const backlog = countSlots(timing, Math.max(from, missedUpTo), Math.min(unrecorded, backlogUpTo));
    if (catchUp === 'latest') plan.omittedCoalesced = backlog;
    else if (catchUp === 'skip') plan.omittedSkipped = backlog;
    // Under 'all' the listing stopped at a slot past the cap, so every older backlog slot is too.
    else plan.omittedMissed += backlog;
  }

  if (catchUp === 'latest' && latestFire && coalesced + plan.omittedCoalesced > 0) {
    const total = coalesced + plan.omittedCoalesced;
    latestFire.reason = `${latestFire.reason ? `${latestFire.reason}; ` : ''}${total} older late slot${total === 1 ? '' : 's'} coalesced into this one`;
  }
  plan.decisions = newestFirst.reverse();
  plan.nextSlotAt = nextSlot(timing, now);
  return plan;
}

function checkInput(input: PlanDueInput, tolerance: number, maxRecorded: number): void {
  const problems: string[] = [];
  if (!Number.isFinite(input.now)) problems.push(`now=${input.now}`);
  if (!Number.isFinite(input.firstSlotAt)) problems.push(`firstSlotAt=${input.firstSlotAt}`);
  if (!(input.misfireGraceMs >= 0)) problems.push(`misfireGraceMs=${input.misfireGraceMs}`);
  if (!(tolerance >= 0)) problems.push(`onTimeToleranceMs=${tolerance}`);
  if (!Number.isSafeInteger(input.catchUpMax) || input.catchUpMax < 0) problems.push(`catchUpMax=${input.catchUpMax}`);
  if (!Number.isSafeInteger(maxRecorded) || maxRecorded < 1) problems.push(`maxRecorded=${maxRecorded}`);
  if (!(CATCH_UP_POLICIES as readonly string[]).includes(input.catchUp)) problems.push(`catchUp=${input.catchUp}`);
  if (problems.length > 0) throw new RangeError(`planDue: invalid input ${problems.join(', ')}`);
}
