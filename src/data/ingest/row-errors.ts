/** Per-row validation errors: every one is counted, the first few are kept for the response. */

export interface RowError {
  /** 1-based data-row number (JSON array element, NDJSON record, CSV row after the header); 0 = the CSV header. */
  row: number;
  /** The column at fault; null when the row as a whole is malformed. */
  field: string | null;
  reason: string;
  /** 1-based line of the input where the row starts (NDJSON and CSV). */
  line?: number;
}

export const MAX_REPORTED_ERRORS = 100;

export class RowErrors {
  readonly first: RowError[] = [];
  total = 0;

  add(error: RowError): void {
    this.total += 1;
    if (this.first.length < MAX_REPORTED_ERRORS) this.first.push(error);
  }

  addAll(errors: readonly RowError[]): void {
    for (const e of errors) this.add(e);
  }

  /** Another list's errors after this one's: its listed ones, and its count. */
  append(other: RowErrors): void {
    this.addAll(other.first);
    this.total += other.total - other.first.length;
  }
}

export const describeRowError = (e: RowError): string =>
  `row ${e.row}${e.line !== undefined ? ` (line ${e.line})` : ''}${e.field !== null ? `, ${e.field}` : ''}: ${e.reason}`;
