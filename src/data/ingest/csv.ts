/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes, a quote inside a quoted field
 * written twice, CRLF or LF line ends, newlines allowed inside quoted fields. A leading BOM is
 * dropped, blank lines are skipped, the first record is the header.
 */
import type { RowError } from './row-errors.ts';

export interface CsvRecord {
  cells: string[];
  /** 1-based data-row number (the header is row 0). */
  row: number;
  /** 1-based line where the record starts. */
  line: number;
}

export interface CsvDocument {
  header: CsvRecord | null;
  records: CsvRecord[];
  /** Malformed records (unbalanced quotes …): row is the data-row number, header excluded. */
  errors: RowError[];
  /** True when parsing stopped because there were more than maxRows data rows. */
  truncated: boolean;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export function parseCsv(text: string, maxRows = Number.POSITIVE_INFINITY): CsvDocument {
  const doc: CsvDocument = { header: null, records: [], errors: [], truncated: false };
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let row = 0;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let problem: string | null = null;
    // One record: fields until an unquoted line end or the end of the text.
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        let value = '';
        let from = i + 1;
        let closed = false;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q === -1) break;
          value += text.slice(from, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            from = q + 2;
            continue;
          }
          i = q + 1;
          closed = true;
          break;
        }
        for (let k = value.indexOf('\n'); k !== -1; k = value.indexOf('\n', k + 1)) line += 1;
        if (!closed) {
          problem ??= `a quoted field opened on line ${startLine} is never closed; close it with a double quote`;
          i = n;
        }
        cells.push(value);
        const c = text.charCodeAt(i);
        if (i < n && c !== COMMA && c !== LF && c !== CR) {
          problem ??= 'characters after a closing quote; a quote inside a field must be written twice and the whole field quoted';
          while (i < n && text.charCodeAt(i) !== COMMA && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i += 1;
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          j += 1;
        }
        const value = text.slice(i, j);
        if (value.includes('"')) problem ??= 'a double quote inside an unquoted field; quote the whole field and write the quote twice';
        cells.push(value);
        i = j;
      }
      if (i < n && text.charCodeAt(i) === COMMA) {
        i += 1;
        continue;
      }
      break;
    }
    // The line end (CRLF, LF or a lone CR).
    if (i < n && text.charCodeAt(i) === CR) i += 1;
    if (i < n && text.charCodeAt(i) === LF) i += 1;
    line += 1;
    if (cells.length === 1 && cells[0] === '' && !problem) continue;
    if (!doc.header) {
      doc.header = { cells, row: 0, line: startLine };
      if (problem) doc.errors.push({ row: 0, line: startLine, field: null, reason: `header: ${problem}` });
      continue;
    }
    row += 1;
    if (row > maxRows) {
      doc.truncated = true;
      break;
    }
    if (problem) doc.errors.push({ row, line: startLine, field: null, reason: problem });
    else doc.records.push({ cells, row, line: startLine });
  }
  return doc;
}
