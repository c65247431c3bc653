/**
 * Fast paths for the common numeric CSV cell, read straight from the body text: no substring, no
 * Number(). Each one either gives exactly the value the general path (values.ts) would give, or
 * declines (NaN / -1) and the caller takes the general path, which also words every error. So these
 * only decide speed, never what is accepted.
 */

/** 10^0 … 10^15: every one an exact double. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * An optionally signed plain decimal ("-0.1234", "42", ".5", "3.") of at most 15 digits in
 * text[start, end) → its value; NaN for anything else (exponents, spaces, words, more digits).
 * Exact: the digits form an integer below 2^53 and 10^k (k ≤ 15) is exact, so one division is the
 * correctly rounded value of the decimal, which is what Number() returns too (Clinger's fast path).
 */
export function plainDecimal(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end) {
    const c = text.charCodeAt(i);
    if (c === 45 || c === 43) {
      negative = c === 45;
      i += 1;
    }
  }
  let mantissa = 0;
  let digits = 0;
  let dotAt = -1;
  for (; i < end; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits += 1;
    } else if (c === 46 && dotAt === -1) dotAt = digits;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const value = dotAt === -1 || dotAt === digits ? mantissa : mantissa / POW10[digits - dotAt]!;
  return negative ? -value : value;
}

/** Unsigned digits only, 1 to 15 of them, in text[start, end) → their value (exact); -1 for anything else. */
export function plainInteger(text: string, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}
