import { NsError } from '../errors.ts';
import type { RunCursor, RunSortField } from '../store/runs.ts';

/** Opaque page cursors: the sort they belong to, the last value and id. */
export function encodeCursor(sort: RunSortField, order: string, c: RunCursor): string {
  return Buffer.from(JSON.stringify([sort, order, c.value, c.id])).toString('base64url');
}

export function decodeCursor(text: string, sort: RunSortField, order: string): RunCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || typeof parsed[2] !== 'number' || typeof parsed[3] !== 'string') {
    throw new NsError('NS_VALIDATION', 'cursor: not a cursor this API issued; pass nextCursor from the previous page unchanged', { field: 'cursor' });
  }
  if (parsed[0] !== sort || parsed[1] !== order) {
    throw new NsError('NS_VALIDATION', `cursor: it belongs to sort=${parsed[0]}&order=${parsed[1]}; keep the same sort and order while paging`, { field: 'cursor' });
  }
  return { value: parsed[2], id: parsed[3] };
}
