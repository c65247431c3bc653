/** How the dashboard writes times, durations and numbers: the viewer's zone, units always said. */

export const viewerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string | undefined): Intl.DateTimeFormat {
  const key = zone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short', ...(zone ? { timeZone: zone } : {}) });
    formatters.set(key, f);
  }
  return f;
}

/** "2026-03-01 02:00:00 EST" in the zone (default: the viewer's). */
export function formatTime(iso: string | number, zone?: string): string {
  const parts = formatter(zone).formatToParts(new Date(iso));
  const p = (type: string) => parts.find((x) => x.type === type)?.value ?? '';
  const hour = p('hour') === '24' ? '00' : p('hour');
  return `${p('year')}-${p('month')}-${p('day')} ${hour}:${p('minute')}:${p('second')} ${p('timeZoneName')}`;
}

/** The UTC instant, for a hover title. */
export const utcTitle = (iso: string | number): string => `${new Date(iso).toISOString().replace('.000Z', 'Z')} (UTC)`;

/** 1234 ms → "1.2 s"; 5_400_000 → "1 h 30 min". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 1 : 0)} s`;
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) => `${sign}${big} ${bigUnit}${small ? ` ${small} ${smallUnit}` : ''}`;
  const min = Math.floor(a / 60_000);
  if (min < 60) return two(min, 'min', Math.round((a % 60_000) / 1000), 's');
  const h = Math.floor(min / 60);
  if (h < 48) return two(h, 'h', min % 60, 'min');
  return two(Math.floor(h / 24), 'd', h % 24, 'h');
}

/** How long ago (or until), from now: "3 h 5 min ago", "in 12 min". */
export function relative(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  return diff >= 0 ? `in ${formatDuration(diff)}` : `${formatDuration(-diff)} ago`;
}

/** A metric value: 4 significant digits (auc 0.9287, rmse 12.35). */
export function formatMetric(v: number | null | undefined): string {
  if (v == null || !Number.isFinite(v)) return '—';
  return Number(v.toPrecision(4)).toString();
}

export const formatCount = (n: number | null | undefined, unit: string): string => (n == null ? '—' : `${n.toLocaleString('en-US')} ${unit}${n === 1 ? '' : 's'}`);

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
