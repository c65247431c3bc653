/**
 * Train/validation splits. The time holdout never shuffles time: the validation rows are the
 * latest `fraction` of the window, the training rows everything before them.
 *
 * Size: valid gets round(rows × fraction) rows, clamped so that both sides keep at least one row
 * when rows ≥ 2 (a single row goes to train).
 */
import { NsError } from '../errors.ts';
import { identityOrder, seededRandom, shuffleInPlace } from './random.ts';
import type { TrainingSet } from './types.ts';

export interface Holdout {
  train: TrainingSet;
  valid: TrainingSet;
}

export const DEFAULT_HOLDOUT_FRACTION = 0.2;

/**
 * Splits by timestamp: rows sorted by ts ascending, ties broken by original row index (a later row
 * counts as later), rows with a missing (NaN) ts count as the oldest. Both sides come out in that
 * chronological order. Without `ts`, the last rows (by index) are the validation rows. Rows already
 * in that order come out as views of the set's arrays (sliceRows): copy before writing into them.
 */
export function timeHoldout(set: TrainingSet, fraction: number = DEFAULT_HOLDOUT_FRACTION): Holdout {
  const n = set.X.rows;
  const nValid = validSize(n, fraction);
  const ts = set.ts;
  if (ts !== undefined && ts.length !== n) throw new NsError('NS_VALIDATION', `ts: has ${ts.length} timestamps for ${n} rows`, { field: 'ts' });
  // Rows already in time order (a window as the store returns it) split where they are.
  if (ts === undefined || inTimeOrder(ts)) return { train: sliceRows(set, 0, n - nValid), valid: sliceRows(set, n - nValid, n) };
  const order = identityOrder(n);
  const key = (i: number) => (Number.isNaN(ts[i]!) ? -Infinity : ts[i]!);
  order.sort((a, b) => key(a) - key(b) || a - b);
  return { train: subsetRows(set, order.subarray(0, n - nValid)), valid: subsetRows(set, order.subarray(n - nValid)) };
}

/** Whether sorting by ts (ties by index) would leave the rows where they are: no NaN, never decreasing. */
function inTimeOrder(ts: Float64Array): boolean {
  if (ts.length > 0 && Number.isNaN(ts[0]!)) return false;
  for (let i = 1; i < ts.length; i++) if (!(ts[i - 1]! <= ts[i]!)) return false;
  return true;
}

/**
 * The rows [start, end) as views of the set's arrays, not copies: a 1M-row window's split copied
 * 176 MB before training started. Neither side is written afterwards (trainers and scorers read
 * their sets), as with the columns a window's training set shares with the window.
 */
function sliceRows(set: TrainingSet, start: number, end: number): TrainingSet {
  const subset: TrainingSet = {
    features: set.features,
    X: { rows: end - start, columns: set.X.columns.map((c) => c.subarray(start, end)) },
    y: set.y.subarray(start, end),
  };
  if (set.ts !== undefined) subset.ts = set.ts.subarray(start, end);
  return subset;
}

/**
 * Splits uniformly at random, determined by `seed`; for sets without time. Both sides keep the
 * rows' original relative order.
 */
export function randomHoldout(set: TrainingSet, fraction: number, seed: number): Holdout {
  const n = set.X.rows;
  const nValid = validSize(n, fraction);
  const picked = shuffleInPlace(identityOrder(n), seededRandom(seed));
  const inValid = new Uint8Array(n);
  for (let k = 0; k < nValid; k++) inValid[picked[k]!] = 1;
  const train = new Uint32Array(n - nValid);
  const valid = new Uint32Array(nValid);
  let t = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    if (inValid[i] === 1) valid[v++] = i;
    else train[t++] = i;
  }
  return { train: subsetRows(set, train), valid: subsetRows(set, valid) };
}

/** A new TrainingSet holding `rows` of `set`, in that order. */
export function subsetRows(set: TrainingSet, rows: ArrayLike<number>): TrainingSet {
  const pick = (src: Float64Array) => {
    const out = new Float64Array(rows.length);
    for (let k = 0; k < rows.length; k++) out[k] = src[rows[k]!]!;
    return out;
  };
  const subset: TrainingSet = {
    features: set.features,
    X: { rows: rows.length, columns: set.X.columns.map(pick) },
    y: pick(set.y),
  };
  if (set.ts !== undefined) subset.ts = pick(set.ts);
  return subset;
}

function validSize(rows: number, fraction: number): number {
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction < 1)) {
    throw new NsError('NS_VALIDATION', `holdoutFraction=${fraction}: must be a number between 0 and 1 (exclusive); example 0.2`, {
      field: 'holdoutFraction',
    });
  }
  if (rows < 2) return 0;
  return Math.min(Math.max(Math.round(rows * fraction), 1), rows - 1);
}
