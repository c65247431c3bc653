/**
 * An incremental RFC 4180 CSV parser: fields separated by a delimiter, records by CRLF or LF,
 * fields optionally in double quotes (a quote inside written as two), quoted fields may hold
 * delimiters and line breaks. Blank lines are skipped; a leading BOM is dropped. A quote inside an
 * unquoted field, text after a closing quote, or an unterminated quote is an error naming the line.
 */
import { NsError } from '../../errors.ts';

const State = { FieldStart: 0, Unquoted: 1, Quoted: 2, QuoteInQuoted: 3 } as const;
type State = (typeof State)[keyof typeof State];

export type CsvRecordHandler = (fields: string[], line: number) => void;

export class CsvParser {
  readonly #delimiter: string;
  readonly #where: string;
  #state: State = State.FieldStart;
  #field = '';
  #record: string[] = [];
  #quotedRecord = false;
  #line = 1;
  #recordLine = 1;
  #started = false;

  constructor(options: { delimiter?: string; where?: string } = {}) {
    this.#delimiter = options.delimiter ?? ',';
    this.#where = options.where ?? 'csv';
    if (this.#delimiter.length !== 1 || '"\r\n'.includes(this.#delimiter)) {
      throw new NsError('NS_CONFIG_INVALID', `delimiter: must be one character other than a quote or a line break, got ${JSON.stringify(this.#delimiter)}`, { field: 'delimiter' });
    }
  }

  #fail(message: string): never {
    throw new NsError('NS_VALIDATION', `${this.#where} line ${this.#line}: ${message}`, { field: 'csv', details: { line: this.#line } });
  }

  #endField(): void {
    this.#record.push(this.#field);
    this.#field = '';
    this.#state = State.FieldStart;
  }

  #endRecord(onRecord: CsvRecordHandler): void {
    this.#endField();
    const blank = this.#record.length === 1 && this.#record[0] === '' && !this.#quotedRecord;
    if (!blank) onRecord(this.#record, this.#recordLine);
    this.#record = [];
    this.#quotedRecord = false;
  }

  push(chunk: string, onRecord: CsvRecordHandler): void {
    let text = chunk;
    if (!this.#started) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const d = this.#delimiter;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      switch (this.#state) {
        case State.FieldStart:
          if (this.#record.length === 0 && this.#field === '') this.#recordLine = this.#line;
          if (c === '"') {
            this.#state = State.Quoted;
            this.#quotedRecord = true;
            break;
          }
        // falls through: the first character of an unquoted field
        case State.Unquoted:
          if (c === d) this.#endField();
          else if (c === '\n') {
            this.#endRecord(onRecord);
            this.#line++;
          } else if (c === '\r') {
            // CRLF: the LF ends the record.
          } else if (c === '"') this.#fail('a quote inside an unquoted field (quote the whole field and double the quote)');
          else {
            // Copy the run of ordinary characters at once.
            let j = i + 1;
            while (j < text.length) {
              const cj = text[j]!;
              if (cj === d || cj === '\n' || cj === '\r' || cj === '"') break;
              j++;
            }
            this.#field += text.slice(i, j);
            this.#state = State.Unquoted;
            i = j - 1;
          }
          break;
        case State.Quoted:
          if (c === '"') this.#state = State.QuoteInQuoted;
          else {
            if (c === '\n') this.#line++;
            this.#field += c;
          }
          break;
        case State.QuoteInQuoted:
          if (c === '"') {
            this.#field += '"';
            this.#state = State.Quoted;
          } else if (c === d) this.#endField();
          else if (c === '\n') {
            this.#endRecord(onRecord);
            this.#line++;
          } else if (c !== '\r') this.#fail(`unexpected ${JSON.stringify(c)} after a closing quote`);
          break;
      }
    }
  }

  end(onRecord: CsvRecordHandler): void {
    if (this.#state === State.Quoted) this.#fail(`a quoted field starting on line ${this.#recordLine} is never closed`);
    if (this.#record.length > 0 || this.#field !== '' || this.#state !== State.FieldStart) this.#endRecord(onRecord);
  }
}

/** Parses a whole CSV text into records (header included). */
export function parseCsv(text: string, options: { delimiter?: string; where?: string } = {}): string[][] {
  const parser = new CsvParser(options);
  const out: string[][] = [];
  const add = (r: string[]) => out.push(r);
  parser.push(text, add);
  parser.end(add);
  return out;
}

/** One field written for CSV: quoted when it holds the delimiter, a quote, a line break or edge spaces. */
export function csvField(value: string | number | null | undefined, delimiter = ','): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return s.includes(delimiter) || /["\r\n]/.test(s) || s.trim() !== s ? `"${s.replaceAll('"', '""')}"` : s;
}
