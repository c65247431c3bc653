/**
 * One-line human descriptions of a timing for the CLI and dashboard. Common shapes get prose;
 * anything else echoes the expression, so a description is never wrong, only less friendly.
 */
import { cronFields, DAY_NAMES, MONTH_NAMES } from './cron-validate.ts';
import { formatDuration } from './duration.ts';
import type { Timing } from './timing.ts';

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

export function describeTiming(timing: Timing): string {
  if (timing.kind === 'interval') {
    const every = `every ${formatDuration(timing.everyMs).replace(/ /g, '')}`;
    return timing.anchorMs === 0 ? every : `${every} (aligned to ${new Date(timing.anchorMs).toISOString()})`;
  }
  const prose = describeCron(timing.expression);
  return `${prose ?? `on cron "${timing.expression}"`} (${timing.timezone})`;
}

function describeCron(expression: string): string | undefined {
  const fields = cronFields(expression);
  if (!fields) return undefined;
  // Seconds other than a plain 0 are rare enough to leave to the fallback.
  if (fields.length === 6 && fields.shift() !== '0') return undefined;
  const [minute = '', hour = '', dom = '', month = '', dow = ''] = fields;
  const any = (f: string) => f === '*' || f === '?';
  const num = (f: string) => (/^\d+$/.test(f) ? Number(f) : undefined);

  const m = num(minute);
  const h = num(hour);
  if (any(dom) && any(month) && any(dow)) {
    if (m !== undefined && h !== undefined) return `at ${clock(h, m)} every day`;
    if (m !== undefined && any(hour)) return `at minute ${m} past every hour`;
    const step = /^\*\/(\d+)$/.exec(minute);
    if (step && any(hour)) return `every ${step[1]} minutes`;
    if (any(minute) && any(hour)) return 'every minute';
    return undefined;
  }
  if (m === undefined || h === undefined) return undefined;
  const at = `at ${clock(h, m)}`;
  if (any(dom) && any(month)) {
    const days = weekdays(dow);
    return days ? `${at} on ${days}` : undefined;
  }
  const day = num(dom);
  if (day === undefined || !any(dow)) return undefined;
  if (any(month)) return `${at} on day ${day} of every month`;
  const mon = monthOf(month);
  return mon === undefined ? undefined : `${at} on ${day} ${mon}`;
}

const clock = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

function dayOf(text: string): number | undefined {
  const upper = text.toUpperCase();
  const named = DAY_NAMES.indexOf(upper as (typeof DAY_NAMES)[number]);
  if (named >= 0) return named;
  return /^[0-7]$/.test(text) ? Number(text) : undefined;
}

/** "Sunday", "Monday, Wednesday and Friday", "Monday through Friday"; undefined if unusual. */
function weekdays(field: string): string | undefined {
  const range = /^(\w+)-(\w+)$/.exec(field);
  if (range) {
    const from = dayOf(range[1]!);
    const to = dayOf(range[2]!);
    return from === undefined || to === undefined ? undefined : `${WEEKDAYS[from]} through ${WEEKDAYS[to]}`;
  }
  const days = field.split(',').map(dayOf);
  if (days.some((d) => d === undefined)) return undefined;
  const names = days.map((d) => WEEKDAYS[d!]);
  return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function monthOf(field: string): string | undefined {
  const named = MONTH_NAMES.indexOf(field.toUpperCase() as (typeof MONTH_NAMES)[number]);
  if (named >= 0) return MONTHS[named];
  return /^\d+$/.test(field) ? MONTHS[Number(field) - 1] : undefined;
}
