/**
 * A duration in words ("1 minute", "30 seconds"), as @lukeed/ms's `format(ms, true)` writes it:
 * the rate limit's 429 message said "retry in …" in these words when @fastify/rate-limit built it,
 * and still does.
 */
const SEC = 1e3;
const MIN = SEC * 60;
const HOUR = MIN * 60;
const DAY = HOUR * 24;
const YEAR = DAY * 365.25;

function inUnit(value: number, sign: string, unit: string): string {
  const n = (value | 0) === value ? value : ~~(value + 0.5);
  return `${sign}${n} ${unit}${n !== 1 ? 's' : ''}`;
}

export function durationInWords(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < SEC) return `${ms} ms`;
  if (abs < MIN) return inUnit(abs / SEC, sign, 'second');
  if (abs < HOUR) return inUnit(abs / MIN, sign, 'minute');
  if (abs < DAY) return inUnit(abs / HOUR, sign, 'hour');
  if (abs < YEAR) return inUnit(abs / DAY, sign, 'day');
  return inUnit(abs / YEAR, sign, 'year');
}
