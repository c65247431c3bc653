import { randomFillSync } from 'node:crypto';

/**
 * The one rule for ids a client names (tenants, jobs, schedules, datasets) and for the ids nightshift
 * makes (runs): every route, the config file and the registry check ids against it.
 */
export const ID_RULE = '^[a-z0-9][a-z0-9_.-]{0,63}$';
export const ID_RULE_TEXT = '1 to 64 lowercase letters, digits, "_", "." or "-", starting with a letter or digit';

/** Random bytes drawn in blocks: one call into the CSPRNG per 512 ids instead of one per id. */
const POOL = Buffer.alloc(6 * 512);
let poolOffset = POOL.length;

/** `bytes` random bytes as hex (bytes ≤ the pool, 3,072), drawn from the pool. */
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hex = POOL.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

const randomHex6 = () => randomHex(6);

/** Time-ordered ids (`run_…`): they sort by creation time, which makes a stable pagination tiebreak. */
export function newId(prefix: string, nowMs = Date.now()): string {
  return `${prefix}_${nowMs.toString(36).padStart(9, '0')}${randomHex6()}`;
}
