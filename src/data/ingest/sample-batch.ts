/**
 * Builds a SampleBatch (the store's columnar write form) row by row without an object per row: a
 * validator writes a row's values straight into the next slot and commits the slot only when the
 * whole row was valid; a rejected row's slot is written over by the next row.
 */
import type { SampleBatch } from '../../store/samples.ts';

const grow = <T extends Float64Array | Int32Array>(a: T, size: number): T => {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
};

export class SampleBatchBuilder {
  /** Accepted rows so far; also the index of the slot being filled. */
  rows = 0;
  readonly entity: string[] = [];
  ts: Float64Array;
  /** NaN = missing. */
  label: Float64Array;
  /** Row-major, `features` values per row; the slot's values start at rows · features. */
  values: Float64Array;
  /** Where each accepted row came from (line 0 = not known), for errors found across rows (duplicates). */
  sourceRow: Int32Array;
  sourceLine: Int32Array;
  /** Per feature, the categorical values seen, by index (also those of rows rejected later: harmless, a batch with errors is not written). */
  readonly categories: string[][];
  readonly #categoryIndex: Array<Map<string, number>>;
  #capacity: number;

  constructor(
    readonly features: number,
    capacity = 1024,
  ) {
    this.#capacity = Math.max(1, capacity);
    this.ts = new Float64Array(this.#capacity);
    this.label = new Float64Array(this.#capacity);
    this.values = new Float64Array(this.#capacity * features);
    this.sourceRow = new Int32Array(this.#capacity);
    this.sourceLine = new Int32Array(this.#capacity);
    this.categories = Array.from({ length: features }, () => []);
    this.#categoryIndex = Array.from({ length: features }, () => new Map());
  }

  /** Makes room for the slot `rows`; call before filling it. */
  reserve(): void {
    if (this.rows < this.#capacity) return;
    this.#capacity *= 2;
    this.ts = grow(this.ts, this.#capacity);
    this.label = grow(this.label, this.#capacity);
    this.values = grow(this.values, this.#capacity * this.features);
    this.sourceRow = grow(this.sourceRow, this.#capacity);
    this.sourceLine = grow(this.sourceLine, this.#capacity);
  }

  /** The batch's index for a categorical value of feature f, stored as a number in `values`. */
  category(f: number, value: string): number {
    const index = this.#categoryIndex[f]!;
    let k = index.get(value);
    if (k === undefined) {
      k = index.size;
      index.set(value, k);
      this.categories[f]!.push(value);
    }
    return k;
  }

  /** Keeps the filled slot as an accepted row. */
  commit(row: number, line: number): void {
    this.sourceRow[this.rows] = row;
    this.sourceLine[this.rows] = line;
    this.rows += 1;
  }

  finish(): SampleBatch {
    return { rows: this.rows, entity: this.entity, ts: this.ts, label: this.label, values: this.values, categories: this.categories };
  }
}
