import { randomFillSync } from 'node:crypto';

/**
 * The one rule for ids a client names (tenants, jobs, schedules, datasets) and for the ids nightshift
 * makes (runs): every route, the config file and the registry check ids against it.
 */
export const ID_RULE = '^[a-z0-9][a-z0-9_.-]{0,63}$';
export const ID_RULE_TEXT = '1 to 64 lowercase letters, digits, "_", "." or "-", starting with a letter or digit';

/**
 * Random bytes drawn in blocks and hex-encoded once per block: one call into the CSPRNG and one
 * encoding per 512 ids, then a slice of a string per id (every HTTP request takes one: its id).
 */
const POOL = Buffer.alloc(6 * 512);
let poolHex = '';
let poolOffset = POOL.length;

/** `bytes` random bytes as hex (bytes ≤ the pool, 3,072), drawn from the pool. */
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolHex = POOL.toString('hex');
    poolOffset = 0;
  }
  const hex = poolHex.slice(poolOffset * 2, (poolOffset + bytes) * 2);
  poolOffset += bytes;
  return hex;
}

const randomHex6 = () => randomHex(6);

/** The last time written by newId, and its text: ids made in the same millisecond share it. */
let lastMs = Number.NaN;
let lastMsText = '';

function timeText(ms: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastMsText = ms.toString(36).padStart(9, '0');
  }
  return lastMsText;
}

/** Time-ordered ids (`run_…`): they sort by creation time, which makes a stable pagination tiebreak. */
export function newId(prefix: string, nowMs = Date.now()): string {
  return `${prefix}_${timeText(nowMs)}${randomHex6()}`;
}
