/**
 * The cursor of lists paged newest first by (time, id): `<at>.<id>` of a page's last row, base64url.
 * Assessments, alerts and notifications page this way.
 */
import { NsError } from '../errors.ts';

export const encodeTimeIdCursor = (at: number, id: string): string => Buffer.from(`${at}.${id}`).toString('base64url');

export function decodeTimeIdCursor(text: string): { at: number; id: string } {
  const raw = Buffer.from(text, 'base64url').toString();
  const dot = raw.indexOf('.');
  const at = Number(raw.slice(0, dot));
  if (dot < 1 || !Number.isSafeInteger(at)) throw new NsError('NS_VALIDATION', 'cursor: not a cursor this route gave; pass nextCursor back unchanged', { field: 'cursor' });
  return { at, id: raw.slice(dot + 1) };
}
