/**
 * The window a training run loads: [since, until), by default the last `dataRangeDays` (180) days
 * before `now`. Every source filters with since ≤ ts < until.
 */
import { NsError } from '../../errors.ts';
import { DEFAULT_DATA_RANGE_DAYS, type DataWindow } from '../types.ts';

const DAY_MS = 86_400_000;

export function defaultWindow(now: number, dataRangeDays: number = DEFAULT_DATA_RANGE_DAYS): DataWindow {
  if (!Number.isFinite(now)) throw new NsError('NS_VALIDATION', 'now: must be epoch milliseconds', { field: 'now' });
  if (!Number.isFinite(dataRangeDays) || dataRangeDays <= 0 || dataRangeDays > 36_600) {
    throw new NsError('NS_VALIDATION', `dataRangeDays: must be a positive number of days (at most 36600), got ${dataRangeDays}`, { field: 'dataRangeDays' });
  }
  return { since: now - Math.round(dataRangeDays * DAY_MS), until: now };
}

export const inWindow = (ts: number, window: DataWindow): boolean => ts >= window.since && ts < window.until;

export function checkWindow(window: DataWindow): void {
  if (!Number.isFinite(window.since) || !Number.isFinite(window.until) || window.since > window.until) {
    throw new NsError('NS_VALIDATION', `window: needs finite since ≤ until (epoch ms), got ${JSON.stringify(window)}`, { field: 'window' });
  }
}
