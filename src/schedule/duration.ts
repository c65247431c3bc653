/**
 * Durations as people write them in config ("90s", "1h30m") and as we print them back in
 * reasons and descriptions. Always whole milliseconds, so slot arithmetic stays exact.
 */
import { NsError } from '../errors.ts';
import { outOfRange, type DurationRange } from '../limits.ts';

export const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;

// Largest first: both the parser's ordering rule and the printer rely on this order.
const UNITS: readonly Unit[] = ['d', 'h', 'm', 's', 'ms'];
// "ms" must be tried before "m" and "s", hence the alternation order.
const PART = /(\d+(?:\.\d+)?)(ms|d|h|m|s)/y;
const EXAMPLE = '6h';

function invalid(field: string, value: string | number, reason: string, example = EXAMPLE): NsError {
  return new NsError('NS_SCHEDULE_INVALID', `${field}="${value}": ${reason}; example "${example}"`, { field });
}

/**
 * Parses "500ms", "90s", "30m", "6h", "1d", "1h30m" or a non-negative whole number of
 * milliseconds. A digits-only string is rejected: "30" could mean seconds or minutes, and a
 * schedule that is 1000x off is worse than a startup error. With a range (src/limits.ts), a value
 * outside it is refused too, naming the range.
 */
export function parseDuration(value: string | number, field: string, range?: DurationRange, example = EXAMPLE): number {
  const ms = parseAny(value, field);
  const reason = range === undefined ? null : outOfRange(ms, range);
  if (reason !== null) return fail(invalid(field, value, reason, example));
  return ms;
}

function parseAny(value: string | number, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return fail(invalid(field, value, 'must be a non-negative number of milliseconds'));
    if (!Number.isSafeInteger(value)) return fail(invalid(field, value, 'must be a whole number of milliseconds'));
    return value;
  }
  if (typeof value !== 'string') return fail(invalid(field, String(value), 'must be a duration string or a number of milliseconds'));
  const text = value.trim();
  if (text === '') return fail(invalid(field, value, 'is empty'));
  if (/^\d+(\.\d+)?$/.test(text)) return fail(invalid(field, value, 'has no unit (use ms, s, m, h or d)'));

  let total = 0;
  let lastRank = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (!match) {
      return fail(invalid(field, value, `cannot read "${text.slice(at)}" (use a number followed by ms, s, m, h or d)`));
    }
    const [, amount = '', unit = ''] = match;
    const rank = UNITS.indexOf(unit as Unit);
    if (rank <= lastRank) return fail(invalid(field, value, 'units must go from largest to smallest, each at most once (e.g. "1h30m")'));
    lastRank = rank;
    total += amountMs(amount, UNIT_MS[unit as Unit]);
  }
  const rounded = Math.round(total);
  if (Math.abs(total - rounded) > 1e-6) return fail(invalid(field, value, 'resolves to a fraction of a millisecond'));
  if (!Number.isSafeInteger(rounded)) return fail(invalid(field, value, 'is too large'));
  return rounded;
}

// Split at the decimal point so "1.1s" is exactly 1100, not 1100.0000000000002.
function amountMs(amount: string, unitMs: number): number {
  const [whole = '0', frac = ''] = amount.split('.');
  return Number(whole) * unitMs + (frac === '' ? 0 : (Number(frac) * unitMs) / 10 ** frac.length);
}

function fail(error: NsError): never {
  throw error;
}

/**
 * Prints milliseconds as "2h 3m". `maxParts` keeps the largest parts only (truncating), which
 * is what a lateness reason wants; descriptions print every part.
 */
export function formatDuration(ms: number, maxParts = Number.POSITIVE_INFINITY): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  const parts: string[] = [];
  for (const unit of UNITS) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 && parts.length < maxParts) parts.push(`${count}${unit}`);
  }
  return parts.length === 0 ? '0ms' : sign + parts.join(' ');
}
