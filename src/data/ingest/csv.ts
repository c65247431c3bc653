/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes, a quote inside a quoted field
 * written twice, CRLF or LF line ends, newlines allowed inside quoted fields. A leading BOM is
 * dropped, blank lines are skipped.
 *
 * A reader, not a parser into arrays: it steps from record to record and leaves the current
 * record's cells as offsets into the text, so a 100,000-row batch makes no string or array per cell
 * (ingest reads most cells as numbers straight from the text). Only quoted cells are materialized.
 */

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export class CsvReader {
  readonly text: string;
  /** Cells in the current record. */
  count = 0;
  /** Line where the current record starts (1-based). */
  line = 0;
  /** Why the current record is malformed (its cells are then not to be trusted), or null. */
  problem: string | null = null;
  /** Cell i is text[starts[i], ends[i]), unless starts[i] is -1: a quoted cell, its value in #quoted[i]. */
  #starts = new Int32Array(64);
  #ends = new Int32Array(64);
  #quoted: string[] = [];
  #at: number;
  #nextLine = 1;

  constructor(text: string) {
    this.text = text;
    this.#at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  }

  /** Moves to the next non-blank record; false at the end of the text. */
  next(): boolean {
    while (this.#at < this.text.length) {
      this.#read();
      const blank = this.count === 1 && this.problem === null && (this.#starts[0] === -1 ? this.#quoted[0] === '' : this.#ends[0] === this.#starts[0]);
      if (!blank) return true;
    }
    return false;
  }

  /** Where cell i starts in the text; -1 for a quoted cell (read it with cell()). */
  start(i: number): number {
    return this.#starts[i]!;
  }

  end(i: number): number {
    return this.#ends[i]!;
  }

  /** Cell i as a string (the unescaped value of a quoted cell). */
  cell(i: number): string {
    const start = this.#starts[i]!;
    return start === -1 ? this.#quoted[i]! : this.text.slice(start, this.#ends[i]!);
  }

  #push(start: number, end: number): number {
    const k = this.count;
    if (k === this.#starts.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.#starts = grow(this.#starts);
      this.#ends = grow(this.#ends);
    }
    this.#starts[k] = start;
    this.#ends[k] = end;
    this.count = k + 1;
    return k;
  }

  /** One record: fields until an unquoted line end or the end of the text, then the line end. */
  #read(): void {
    const text = this.text;
    const n = text.length;
    let i = this.#at;
    this.count = 0;
    this.problem = null;
    this.line = this.#nextLine;
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) i = this.#readQuoted(i);
      else {
        let j = i;
        let quote = false;
        for (; j < n; j += 1) {
          const c = text.charCodeAt(j);
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE) quote = true;
        }
        if (quote) this.problem ??= 'a double quote inside an unquoted field; quote the whole field and write the quote twice';
        this.#push(i, j);
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
    this.#nextLine += 1;
    this.#at = i;
  }

  /** A quoted field starting at the quote at i; returns where the field ends. */
  #readQuoted(i: number): number {
    const text = this.text;
    const n = text.length;
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
    for (let k = value.indexOf('\n'); k !== -1; k = value.indexOf('\n', k + 1)) this.#nextLine += 1;
    if (!closed) {
      this.problem ??= `a quoted field opened on line ${this.line} is never closed; close it with a double quote`;
      i = n;
    }
    this.#quoted[this.#push(-1, -1)] = value;
    const c = text.charCodeAt(i);
    if (i < n && c !== COMMA && c !== LF && c !== CR) {
      this.problem ??= 'characters after a closing quote; a quote inside a field must be written twice and the whole field quoted';
      while (i < n && text.charCodeAt(i) !== COMMA && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i += 1;
    }
    return i;
  }
}
