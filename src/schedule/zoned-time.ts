/**
 * IANA time-zone arithmetic on plain millisecond numbers, using only Intl (no tz database of
 * our own, so it is exactly as current as the Node runtime).
 *
 * A "wall" time is a zone's clock reading encoded as if it were UTC: wall 02:30 on 2025-03-09
 * is Date.UTC(2025, 2, 9, 2, 30). That keeps wall arithmetic ordinary integer arithmetic.
 *
 * DST policy (also in the README): a wall time inside a spring-forward gap maps to the first
 * instant after the gap, which is the transition instant itself; a wall time that occurs twice
 * at fall-back maps to its first occurrence. (Cron patterns that follow the clock through both
 * occurrences are planned by clock-following.ts instead, on instants.)
 */
import { NsError } from '../errors.ts';
import { ZONE_LINK_SPELLING } from './zone-names.ts';

const DAY_MS = 86_400_000;
// No zone's offset changes twice within this window, so offsets sampled at both of its ends
// cover every offset a wall time near its middle can have.
const PROBE_MS = 2 * DAY_MS;
const UTC_NAMES = new Set(['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT']);

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    // Throws RangeError for an unknown zone; callers turn that into a field error.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * The zone's IANA name in its canonical spelling, or throws NsError naming the field. Names are
 * matched without regard to case: "america/new_york" → "America/New_York", "utc" → "UTC". A link
 * stays the name its user chose (Asia/Kolkata stays Asia/Kolkata, US/Eastern stays US/Eastern),
 * spelled as IANA spells it; ICU's own resolution would turn those into other names.
 */
export function assertTimeZone(zone: string, field: string): string {
  if (typeof zone !== 'string' || zone.trim() === '') {
    throw new NsError('NS_SCHEDULE_INVALID', `${field}="${String(zone)}": empty time zone; example "Europe/London"`, { field });
  }
  try {
    return canonicalName(zone);
  } catch (cause) {
    throw new NsError('NS_SCHEDULE_INVALID', `${field}="${zone}": unknown IANA time zone; example "Europe/London"`, { field, cause });
  }
}

const canonicalNames = new Map<string, string>();

/** Throws RangeError for an unknown zone. */
function canonicalName(zone: string): string {
  let name = canonicalNames.get(zone);
  if (name === undefined) {
    const resolved = formatterFor(zone).resolvedOptions().timeZone;
    const lower = zone.toLowerCase();
    name = resolved.toLowerCase() === lower ? resolved : (ZONE_LINK_SPELLING.get(lower) ?? resolved);
    canonicalNames.set(zone, name);
  }
  return name;
}

/** Offset of the zone at an instant, in ms (wall minus instant); +3_600_000 for CET. */
export function offsetAt(zone: string, instantMs: number): number {
  if (UTC_NAMES.has(zone)) return 0;
  const fields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(zone).formatToParts(instantMs)) {
    if (part.type in fields) fields[part.type as keyof typeof fields] = Number(part.value);
  }
  const wallSeconds = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second);
  // Intl shows whole seconds; compare with the instant floored to its second (also when negative).
  return wallSeconds - Math.floor(instantMs / 1000) * 1000;
}

/** The wall reading of an instant. */
export function wallAt(zone: string, instantMs: number): number {
  return instantMs + offsetAt(zone, instantMs);
}

/** The instant a wall time denotes, under the DST policy above. */
export function wallToInstant(zone: string, wallMs: number): number {
  if (UTC_NAMES.has(zone)) return wallMs;
  const offsets = new Set([offsetAt(zone, wallMs - PROBE_MS), offsetAt(zone, wallMs + PROBE_MS)]);
  let earliest: number | undefined;
  for (const offset of offsets) {
    const instant = wallMs - offset;
    if (offsetAt(zone, instant) === offset && (earliest === undefined || instant < earliest)) earliest = instant;
  }
  if (earliest !== undefined) return earliest;
  // In a gap: the transition instant is the first one whose wall reading passes wallMs.
  return firstInstant(wallMs - Math.max(...offsets), wallMs - Math.min(...offsets), (i) => wallAt(zone, i) > wallMs);
}

/**
 * The largest wall time W such that every wall time <= W maps to an instant <= instantMs and
 * every later wall time maps to an instant after it. Usually W is the instant's own reading;
 * in the second pass of a repeated hour, all repeated readings already map to their (earlier)
 * first occurrence, so W is the end of the repeated range.
 */
export function wallCeiling(zone: string, instantMs: number): number {
  const wall = wallAt(zone, instantMs);
  const first = wallToInstant(zone, wall);
  if (first >= instantMs) return wall;
  const offsetBefore = wall - first;
  const transition = firstInstant(first, instantMs, (i) => offsetAt(zone, i) !== offsetBefore);
  return transition + offsetBefore - 1;
}

export interface Transition {
  /** First instant with the new offset. */
  readonly at: number;
  readonly offsetBefore: number;
  readonly offsetAfter: number;
}

/** Offset changes with fromMs < at <= toMs, oldest first. Samples daily, then bisects. */
export function transitionsBetween(zone: string, fromMs: number, toMs: number): Transition[] {
  const found: Transition[] = [];
  if (UTC_NAMES.has(zone) || toMs <= fromMs) return found;
  let lo = fromMs;
  let loOffset = offsetAt(zone, lo);
  while (lo < toMs) {
    const hi = Math.min(lo + DAY_MS, toMs);
    const hiOffset = offsetAt(zone, hi);
    if (hiOffset !== loOffset) {
      const before = loOffset;
      const at = firstInstant(lo, hi, (i) => offsetAt(zone, i) !== before);
      found.push({ at, offsetBefore: before, offsetAfter: offsetAt(zone, at) });
    }
    lo = hi;
    loOffset = hiOffset;
  }
  return found;
}

/** Smallest integer instant in (lo, hi] where `passed` holds; `passed(lo)` is false, `passed(hi)` true. */
function firstInstant(lo: number, hi: number, passed: (instant: number) => boolean): number {
  let a = Math.floor(lo);
  let b = Math.ceil(hi);
  while (b - a > 1) {
    const mid = a + Math.floor((b - a) / 2);
    if (passed(mid)) b = mid;
    else a = mid;
  }
  return b;
}

/** ISO-8601 in the zone's local time with its offset at that instant: 2026-03-08T03:00:00-04:00. */
export function isoInZone(zone: string, instantMs: number): string {
  const offset = offsetAt(zone, instantMs);
  const local = new Date(instantMs + offset).toISOString().slice(0, 19);
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offset) / 60_000);
  return `${local}${sign}${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
