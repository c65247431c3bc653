/** JSON array and NDJSON bodies → numbered records (validation happens elsewhere). */
import { NsError } from '../../errors.ts';
import type { RowError } from './row-errors.ts';

export interface JsonRecord {
  value: unknown;
  /** 1-based data-row number. */
  row: number;
  /** 1-based line (NDJSON only). */
  line?: number;
}

export interface ParsedRecords {
  records: JsonRecord[];
  /** Lines that are not JSON (NDJSON). */
  errors: RowError[];
  /** True when there were more than maxRows rows (parsing stopped there). */
  truncated: boolean;
}

/** A JSON array of objects. A body that is not JSON at all is one error about the body. */
export function parseJsonArray(text: string, maxRows = Number.POSITIVE_INFINITY): ParsedRecords {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new NsError('NS_VALIDATION', `body is not valid JSON: ${(error as Error).message}; send a JSON array of objects`, { field: 'body' });
  }
  if (!Array.isArray(value)) {
    throw new NsError('NS_VALIDATION', `body must be a JSON array of objects (one per row), got ${value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`}`, { field: 'body' });
  }
  if (value.length > maxRows) return { records: [], errors: [], truncated: true };
  return { records: value.map((v: unknown, i) => ({ value: v, row: i + 1 })), errors: [], truncated: false };
}

/** One JSON object per line; blank lines are skipped and do not count as rows. */
export function parseNdjson(text: string, maxRows = Number.POSITIVE_INFINITY): ParsedRecords {
  const out: ParsedRecords = { records: [], errors: [], truncated: false };
  let row = 0;
  let line = 0;
  let from = 0;
  while (from <= text.length) {
    let end = text.indexOf('\n', from);
    if (end === -1) end = text.length;
    line += 1;
    const content = text.slice(from, end).trim();
    from = end + 1;
    if (content === '') continue;
    row += 1;
    if (row > maxRows) {
      out.truncated = true;
      break;
    }
    try {
      out.records.push({ value: JSON.parse(content), row, line });
    } catch (error) {
      out.errors.push({ row, line, field: null, reason: `not valid JSON: ${(error as Error).message}` });
    }
  }
  return out;
}
