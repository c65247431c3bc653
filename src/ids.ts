import { randomBytes } from 'node:crypto';

/** Time-ordered ids (`run_…`): they sort by creation time, which makes a stable pagination tiebreak. */
export function newId(prefix: string, nowMs = Date.now()): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}
