/**
 * Deterministic per-slot jitter: spreads schedules that share a cron ("0 2 * * *" for every
 * tenant) over a window, yet every node and every restart computes the same delay for the
 * same slot, so the due time is stable and can be stored and compared.
 */
import { createHash } from 'node:crypto';

/** A delay in [0, jitterMs) derived from (scheduleId, slotAt); 0 when jitterMs is 0. */
export function jitterFor(scheduleId: string, slotAt: number, jitterMs: number): number {
  if (!Number.isSafeInteger(jitterMs) || jitterMs < 0) {
    throw new RangeError(`jitterMs must be a non-negative whole number of milliseconds, got ${jitterMs}`);
  }
  if (jitterMs === 0) return 0;
  // 48 bits of a cryptographic hash: uniform enough that the modulo bias is negligible for any
  // realistic window, and unlike a 32-bit FNV it still spreads windows longer than 49 days.
  const digest = createHash('sha256').update(`${scheduleId}\u0000${slotAt}`).digest();
  return digest.readUIntBE(0, 6) % jitterMs;
}
