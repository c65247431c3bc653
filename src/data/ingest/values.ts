/**
 * One input value → its stored form, or a Reject saying why not. Two sources: JSON values (typed:
 * a string where a number belongs is wrong) and CSV cells (text: parsed, an empty cell is missing).
 * Missing is null here; whether null is allowed is the row validator's call.
 */

export class Reject {
  constructor(readonly reason: string) {}
}

const reject = (reason: string) => new Reject(reason);

/** Earliest and latest instants accepted: years 1970 through 9999. */
export const MIN_TS_MS = 0;
export const MAX_TS_MS = 253_402_300_799_999;
export const MAX_TEXT_LENGTH = 256;

const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;
/**
 * A plain decimal ("-1.5", ".5", "2e-3") → its value; anything else (hex, "1_000", words) → NaN.
 * Only digits, signs, dots and exponents reach Number(), which rejects bad arrangements itself.
 */
function decimal(s: string): number {
  if (s.length === 0) return Number.NaN;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69)) return Number.NaN;
  }
  return Number(s);
}

function isInteger(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43 ? 1 : 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 1 || (s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57);
}

/** Trims only when there is whitespace at either end (the common cell has none). */
const trim = (s: string) => (s.length > 0 && (s.charCodeAt(0) <= 32 || s.charCodeAt(s.length - 1) <= 32) ? s.trim() : s);
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

const clip = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}…` : s);
const kindOf = (v: unknown) => (Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const nonFinite = (s: string) => reject(`"${clip(s)}" is not allowed: NaN and Infinity are not numbers; leave the value empty (or null) if it is missing`);

// ---------------------------------------------------------------- numbers

export function numberFromJson(v: unknown): number | null | Reject {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : nonFinite(String(v));
  if (typeof v === 'string') return NON_FINITE.test(v.trim()) ? nonFinite(v) : reject(`expected a number, got the string "${clip(v)}"`);
  return reject(`expected a number, got ${kindOf(v)}`);
}

export function numberFromText(cell: string): number | null | Reject {
  const t = trim(cell);
  if (t === '') return null;
  const n = decimal(t);
  if (Number.isFinite(n)) return n;
  if (!Number.isNaN(n)) return reject(`"${clip(t)}" is outside the range of a 64-bit float`);
  return NON_FINITE.test(t) ? nonFinite(t) : reject(`"${clip(cell)}" is not a number`);
}

// ---------------------------------------------------------------- text

function text(v: string, what: string): string | null | Reject {
  if (v === '') return null;
  return v.length > MAX_TEXT_LENGTH ? reject(`${what} is longer than ${MAX_TEXT_LENGTH} characters`) : v;
}

export function categoryFromJson(v: unknown): string | null | Reject {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return text(v, 'a categorical value');
  return reject(`expected a string (categorical), got ${kindOf(v)}`);
}

export const categoryFromText = (cell: string): string | null | Reject => text(cell, 'a categorical value');

export function entityFromJson(v: unknown): string | null | Reject {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return text(v, 'the entity key');
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return reject(`expected a string or a whole number (entity key), got ${typeof v === 'number' ? `the number ${v}` : kindOf(v)}`);
}

export const entityFromText = (cell: string): string | null | Reject => text(cell, 'the entity key');

// ---------------------------------------------------------------- labels

export function binaryFromJson(v: unknown): number | null | Reject {
  if (v === null || v === undefined) return null;
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  return reject(`a binary label must be 0, 1, true or false; got ${typeof v === 'string' ? `the string "${clip(v)}"` : typeof v === 'number' ? v : kindOf(v)}`);
}

export function binaryFromText(cell: string): number | null | Reject {
  if (cell === '0') return 0;
  if (cell === '1') return 1;
  const t = cell.trim().toLowerCase();
  if (t === '') return null;
  if (t === '1' || t === 'true') return 1;
  if (t === '0' || t === 'false') return 0;
  return reject(`a binary label must be 0, 1, true or false; got "${clip(cell)}"`);
}

// ---------------------------------------------------------------- time

function epochMs(n: number, shown: string): number | Reject {
  if (!Number.isInteger(n)) return reject(`epoch milliseconds must be a whole number; got ${shown}`);
  if (n < MIN_TS_MS || n > MAX_TS_MS) return reject(`epoch milliseconds ${shown} is outside years 1970-9999`);
  return n;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** ISO-8601 date-time with Z or an offset, or a bare date (midnight UTC). */
export function isoMs(s: string): number | Reject {
  const m = ISO.exec(s);
  const bad = () => reject(`"${clip(s)}" is not a time; use ISO-8601 with a zone ("2026-03-01T12:00:00Z") or epoch milliseconds`);
  if (!m) return bad();
  const [, y, mo, d, h, mi, sec, frac, z, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap(year) ? 29 : DAYS[month - 1]!)) return bad();
  if (h !== undefined && z === undefined && sign === undefined) {
    return reject(`"${clip(s)}" has no time zone; add Z or an offset such as +02:00`);
  }
  const hour = Number(h ?? 0);
  const minute = Number(mi ?? 0);
  const second = Number(sec ?? 0);
  if (hour > 23 || minute > 59 || second > 59) return bad();
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  let offset = 0;
  if (sign) {
    const ohn = Number(oh);
    const omn = Number(om);
    if (ohn > 23 || omn > 59) return bad();
    offset = (sign === '-' ? -1 : 1) * (ohn * 60 + omn) * 60_000;
  }
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
  return t < MIN_TS_MS || t > MAX_TS_MS ? reject(`"${clip(s)}" is outside years 1970-9999`) : t;
}

export function timeFromJson(v: unknown): number | null | Reject {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? epochMs(v, String(v)) : nonFinite(String(v));
  if (typeof v === 'string') return timeFromText(v) ?? reject('is empty; send an ISO-8601 time or epoch milliseconds');
  return reject(`expected an ISO-8601 time or epoch milliseconds, got ${kindOf(v)}`);
}

export function timeFromText(cell: string): number | null | Reject {
  const t = trim(cell);
  if (t === '') return null;
  return isInteger(t) ? epochMs(Number(t), t) : isoMs(t);
}
