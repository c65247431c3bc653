/**
 * Quantized gradient pairs. Each row's pair is stored as two i64: lane 0 = nearest(g · 2^gExp),
 * lane 1 = nearest(h · 2^hExp) · 2^countBits + 1 — the row's count rides in the low bits of the
 * hessian lane. A histogram cell then sums gradients, hessians and counts with one i64x2 add per
 * row, and every sum is exact: histograms do not depend on which thread adds which rows, nor in
 * which order, so the rows of a leaf can be split among any number of threads and the trees stay
 * the same.
 *
 * The exponents are the largest that keep every possible sum below 2^62: gExp from the largest
 * |g| (1 for log-loss; measured per tree for squared error), hExp from the largest h (¼ for
 * log-loss) and countBits (the bit length of the row count). The resolution of g is then about
 * rows · 2^-61 (4e-13 at 800,000 rows) and of h about rows² · 2^-61 (3e-8 at 800,000 rows, 5e-4 at
 * 50 million); a hessian below half a unit counts as 0, which minChildWeight keeps out of any leaf.
 * Unit-hessian objectives (squared error) store no hessian: lane 1 is the count.
 */

export interface Quantization {
  /** g is stored as nearest(g · gScale); gUnit = 1 / gScale (powers of two, exact). */
  readonly gExp: number;
  readonly gScale: number;
  readonly gUnit: number;
  /** h likewise (0 and 1 for unit-hessian objectives, whose lane 1 is the count alone). */
  readonly hExp: number;
  readonly hScale: number;
  readonly hUnit: number;
  /** Low bits of lane 1 that hold the count, and their mask (all of lane 1 when there is no hessian). */
  readonly countBits: number;
  readonly countMask: number;
}

/** Sums stay below 2^62; with rounding (half a unit per row) this leaves room to spare. */
const SUM_BITS = 61;
const MAX_EXP = 1000;

/** Bit length of `rows`: 2^bits > rows, so a count of up to `rows` fits. */
export const countBitsFor = (rows: number): number => Math.floor(Math.log2(Math.max(1, rows))) + 1;

/** Largest e (|e| ≤ 1000) with rows · max · 2^e ≤ 2^bits; 0 when max is 0. */
function exponent(rows: number, max: number, bits: number): number {
  if (!(max > 0)) return 0;
  let e = Math.floor(bits - Math.log2(rows * max));
  while (e > -MAX_EXP && rows * max * 2 ** e > 2 ** bits) e--;
  return Math.max(-MAX_EXP, Math.min(MAX_EXP, e));
}

/**
 * The quantization for `rows` rows whose |g| ≤ gMax and h ≤ hMax (hMax null: unit hessians).
 * Exponents travel between threads as integers (thread-team.ts), so every thread rebuilds the same
 * quantization with `quantizationOf`.
 */
export function quantization(rows: number, gMax: number, hMax: number | null): Quantization {
  const countBits = hMax === null ? 0 : countBitsFor(rows);
  const gExp = exponent(rows, gMax, SUM_BITS);
  const hExp = hMax === null ? 0 : exponent(rows, hMax, SUM_BITS - countBits);
  return quantizationOf(gExp, hExp, countBits, hMax !== null);
}

export function quantizationOf(gExp: number, hExp: number, countBits: number, withHess: boolean): Quantization {
  return Object.freeze({
    gExp,
    gScale: 2 ** gExp,
    gUnit: 2 ** -gExp,
    hExp,
    hScale: withHess ? 2 ** hExp : 0,
    hUnit: withHess ? 2 ** -hExp : 1,
    countBits,
    countMask: withHess ? 2 ** countBits - 1 : 0x7fffffff,
  });
}
