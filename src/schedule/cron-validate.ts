/**
 * Checks a cron expression field by field so the error names the field and the value
 * ("hour 25 is out of range 0-23") instead of a parser's internal wording. Croner stays the
 * judge: anything this check lets through is parsed by croner too, and its message is used
 * when it disagrees.
 */
import { Cron } from 'croner';

/** Croner options shared by validation and evaluation, so both accept the same language. */
export const CRON_OPTIONS = {
  paused: true,
  // Wall-clock evaluation: the zone is applied afterwards by our own DST policy.
  utcOffset: 0,
  // Exactly 5 fields, or 6 with seconds first; croner's 7th (year) field is not offered.
  mode: '5-or-6-parts',
  // Vixie semantics: when both day-of-month and day-of-week are restricted, either may match.
  domAndDow: false,
} as const;

/** Lower-case nickname → the 5-field expression it stands for. */
export const CRON_NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
export const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of names[0]. */
  readonly nameBase?: number;
  readonly kind?: 'dom' | 'dow';
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const FIVE_FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, kind: 'dom' },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  // 7 is Sunday too, as in most crons.
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0, kind: 'dow' },
];

/** The expression as 5 or 6 fields, nicknames expanded; undefined if it is neither. */
export function cronFields(expr: string): string[] | undefined {
  const text = expr.trim();
  const nickname = CRON_NICKNAMES[text.toLowerCase()];
  const fields = (nickname ?? text).split(/\s+/);
  return fields.length === 5 || fields.length === 6 ? fields : undefined;
}

/** Null when valid, else a reason that names the offending field. */
export function validateCron(expr: string): string | null {
  if (typeof expr !== 'string' || expr.trim() === '') return 'expression is empty';
  const text = expr.trim();
  if (text.startsWith('@') && CRON_NICKNAMES[text.toLowerCase()] === undefined) {
    return `unknown nickname "${text}" (use ${Object.keys(CRON_NICKNAMES).join(', ')})`;
  }
  const fields = cronFields(text);
  if (!fields) {
    const count = text.split(/\s+/).length;
    return `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${count}`;
  }
  const specs = fields.length === 6 ? [SECOND, ...FIVE_FIELDS] : FIVE_FIELDS;
  for (let i = 0; i < fields.length; i++) {
    const reason = checkField(specs[i]!, fields[i]!);
    if (reason) return reason;
  }
  return croneReason(text);
}

function croneReason(text: string): string | null {
  let cron: Cron;
  try {
    cron = new Cron(text, { ...CRON_OPTIONS });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^CronPattern:\s*/, '');
  }
  // Croner searches a bounded horizon, so "0 0 30 2 *" comes back null instead of looping.
  return cron.nextRun(new Date(0)) === null ? 'never matches any date (check day-of-month against month)' : null;
}

function checkField(spec: FieldSpec, text: string): string | null {
  for (const item of text.split(',')) {
    if (item === '') return `${spec.name} "${text}" has an empty list item`;
    const reason = checkItem(spec, item);
    if (reason) return reason;
  }
  return null;
}

function checkItem(spec: FieldSpec, item: string): string | null {
  const upper = item.toUpperCase();
  if (upper === '?') return spec.kind ? null : `${spec.name} "?" is only allowed in day-of-month and day-of-week`;
  if (spec.kind === 'dom') {
    if (upper === 'L' || upper === 'LW') return null;
    const weekday = /^(\d+)W$/.exec(upper);
    if (weekday) return checkValue(spec, weekday[1]!);
  }
  if (spec.kind === 'dow') {
    const nth = /^([A-Z0-9]+)#(\w+)$/.exec(upper);
    if (nth) {
      const which = nth[2]!;
      if (which !== 'L' && !/^[1-5]$/.test(which)) return `${spec.name} "${item}": the number after # must be 1-5 or L`;
      return checkValue(spec, nth[1]!);
    }
    const last = /^([A-Z0-9]+?)L$/.exec(upper);
    if (last) return checkValue(spec, last[1]!);
  }
  const parts = upper.split('/');
  if (parts.length > 2) return `${spec.name} "${item}" has more than one "/"`;
  const [base = '', step] = parts;
  if (step !== undefined) {
    const span = spec.max - spec.min + 1;
    if (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > span) {
      return `${spec.name} step "${step}" in "${item}" must be a whole number from 1 to ${span}`;
    }
    if (base !== '*' && !base.includes('-')) {
      return `${spec.name} "${item}": a step needs "*" or a range before it, e.g. "*/${step}" or "${base}-${spec.max}/${step}"`;
    }
  }
  if (base === '*') return null;
  const range = base.split('-');
  if (range.length > 2) return `${spec.name} range "${base}" has more than one "-"`;
  for (const end of range) {
    const reason = checkValue(spec, end);
    if (reason) return reason;
  }
  if (range.length === 2) {
    const from = valueOf(spec, range[0]!);
    // As in croner, SUN ending a range means 7, so "MON-SUN" is the whole week.
    const to = spec.kind === 'dow' && range[1] === 'SUN' ? 7 : valueOf(spec, range[1]!);
    if (from > to) return `${spec.name} range "${base}" goes backwards (start must not exceed end)`;
  }
  return null;
}

function checkValue(spec: FieldSpec, text: string): string | null {
  if (text === '') return `${spec.name} has an empty value`;
  const value = valueOf(spec, text);
  if (Number.isNaN(value)) {
    const names = spec.names ? ` or a name (${spec.names[0]}-${spec.names[spec.names.length - 1]})` : '';
    return `${spec.name} "${text}" is not a number${names}`;
  }
  if (value < spec.min || value > spec.max) return `${spec.name} ${value} is out of range ${spec.min}-${spec.max}`;
  return null;
}

function valueOf(spec: FieldSpec, text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 ? index + (spec.nameBase ?? 0) : Number.NaN;
}
