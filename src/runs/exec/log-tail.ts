/**
 * Output handling for child processes: splitting byte chunks into lines (UTF-8 safe, across chunk
 * boundaries) and keeping a bounded tail of the combined output for the run's record.
 */
import { StringDecoder } from 'node:string_decoder';
import type { OutputStream } from './types.ts';

export const STDERR_PREFIX = '[stderr] ';
export const NOTE_PREFIX = '[nightshift] ';
/** A "line" longer than this is cut into pieces, so a process that never prints '\n' stays bounded. */
export const DEFAULT_MAX_LINE_CHARS = 64 * 1024;

/** Turns a stream of chunks into lines. Call `end()` once the stream is finished. */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLine: (line: string) => void;
  readonly #maxLineChars: number;
  #pending = '';

  constructor(onLine: (line: string) => void, maxLineChars = DEFAULT_MAX_LINE_CHARS) {
    this.#onLine = onLine;
    this.#maxLineChars = Math.max(1, maxLineChars);
  }

  push(chunk: Buffer | string): void {
    const text = this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.#emit(text.slice(start, nl));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length > this.#maxLineChars) {
      this.#emit(rest.slice(0, this.#maxLineChars));
      rest = rest.slice(this.#maxLineChars);
    }
    this.#pending = rest;
  }

  /** Flushes an unterminated last line (and any incomplete UTF-8 sequence, as U+FFFD). */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = '';
    if (rest.length > 0) this.#emit(rest);
  }

  #emit(line: string): void {
    this.#onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}

/**
 * Keeps the last `maxBytes` bytes (UTF-8) of what was appended. Whole lines are dropped from the
 * front as new ones arrive; only the oldest kept line may be cut, at a character boundary.
 */
export class LogTail {
  readonly maxBytes: number;
  #lines: string[] = [];
  #sizes: number[] = [];
  #head = 0;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = Math.max(0, Math.floor(maxBytes));
  }

  /** One line of process output; stderr lines are marked so the tail reads in order. */
  line(stream: OutputStream, text: string): void {
    this.append(stream === 'stderr' ? STDERR_PREFIX + text : text);
  }

  /** A line written by nightshift itself (invalid directive, kill escalation, ...). */
  note(text: string): void {
    this.append(NOTE_PREFIX + text);
  }

  /** Appends `text` as one line, verbatim. */
  append(text: string): void {
    const entry = `${text}\n`;
    const size = Buffer.byteLength(entry);
    this.#lines.push(entry);
    this.#sizes.push(size);
    this.#bytes += size;
    this.#trim();
  }

  toString(): string {
    if (this.maxBytes === 0) return '';
    const text = this.#lines.slice(this.#head).join('');
    const excess = this.#bytes - this.maxBytes;
    return excess > 0 ? cutLeadingBytes(text, excess) : text;
  }

  #trim(): void {
    // Drop the oldest line while what remains still fills the budget.
    while (this.#head < this.#lines.length) {
      const oldest = this.#sizes[this.#head] ?? 0;
      if (this.#bytes - oldest < this.maxBytes) break;
      this.#bytes -= oldest;
      this.#head += 1;
    }
    if (this.#head > 256 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Removes at least `n` leading bytes, then any UTF-8 continuation bytes, so no character is split. */
function cutLeadingBytes(text: string, n: number): string {
  const buf = Buffer.from(text, 'utf8');
  let start = Math.min(n, buf.length);
  while (start < buf.length && ((buf[start] ?? 0) & 0xc0) === 0x80) start += 1;
  return buf.subarray(start).toString('utf8');
}
