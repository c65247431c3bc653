/**
 * The SQLite side of loadSampleColumns: a window read on its own read-only connection to the
 * store's file, in one read transaction (one snapshot), with few JavaScript values per row.
 *
 * A page of rows comes back as ONE result row: the packed values of all its rows concatenated into
 * one blob (one Buffer per page instead of one per row: the per-row Buffers were most of the time of
 * a read), and the pages' times, entities and labels as JSON arrays, which JSON.parse reads faster
 * than the driver builds row arrays. JSON is exact here: SQLite writes a REAL with the digits that
 * read back as the same double (test/contract/samples.contract.test.ts checks it with awkward
 * labels). Every aggregate of a page steps through the same rows in one loop, so the arrays line
 * up; a page whose rows have different widths (rows written before the schema gained features) is
 * read again row by row. The window is counted first in the same snapshot: the columns are
 * allocated once, and pages that do not add up to the count (or times out of order) are an error,
 * never a silently different window.
 *
 * Rows come in SQLite's (ts, entity) order: entities by their UTF-8 bytes. The caller puts ties in
 * JavaScript's order (orderTies), as every reader of a window returns them.
 */
import BetterSqlite3 from 'better-sqlite3';
import { endianness } from 'node:os';
import type { DataWindow } from '../data/types.ts';
import { NsError } from '../errors.ts';

/** Part of a window in columns; entities numbered in order of first appearance in the part. */
export interface WindowPart {
  rows: number;
  /** columns[f][i], NaN = missing (a feature past the end of a shorter row too). */
  columns: Float64Array[];
  ts: Float64Array;
  label: Float64Array;
  entityIndex: Int32Array;
  entities: string[];
}

/** Bytes of packed values a page aims at: a few MB keeps the page's strings and blob short-lived. */
const PAGE_BYTES = 8 << 20;
const MAX_PAGE_ROWS = 32_768;

const PAGE_COLUMNS = `count(*), json_group_array(ts), json_group_array(entity), json_group_array(label), min(length(vals)), max(length(vals)), cast(group_concat(vals, '') as blob)`;
const FIRST = `tenant_id = ? and dataset_id = ? and ts >= ? and ts < ?`;
const AFTER = `tenant_id = ? and dataset_id = ? and (ts, entity) > (?, ?) and ts < ?`;
const pageSql = (where: string) => `select ${PAGE_COLUMNS} from (select ts, entity, label, vals from samples where ${where} order by ts, entity limit ?)`;
const valsSql = (where: string) => `select vals from samples where ${where} order by ts, entity limit ?`;

type PageRow = [count: number, ts: string, entities: string, labels: string, minWidth: number | null, maxWidth: number | null, vals: Buffer | null];

const littleEndian = endianness() === 'LE';

/** A read-only connection for reading windows; close() it when done. */
export class SqliteWindowReader {
  readonly #db: BetterSqlite3.Database;
  readonly #count: BetterSqlite3.Statement;
  readonly #countUpTo: BetterSqlite3.Statement;
  readonly #first: BetterSqlite3.Statement;
  readonly #after: BetterSqlite3.Statement;
  readonly #firstVals: BetterSqlite3.Statement;
  readonly #afterVals: BetterSqlite3.Statement;
  readonly #firstTs: BetterSqlite3.Statement;
  readonly #lastTs: BetterSqlite3.Statement;

  constructor(file: string) {
    this.#db = new BetterSqlite3(file, { readonly: true, fileMustExist: true, timeout: 15_000 });
    try {
      this.#count = this.#db.prepare(`select count(*) from samples where ${FIRST}`).pluck(true);
      this.#countUpTo = this.#db.prepare(`select count(*) from (select 1 from samples where ${FIRST} limit ?)`).pluck(true);
      this.#first = this.#db.prepare(pageSql(FIRST)).raw(true);
      this.#after = this.#db.prepare(pageSql(AFTER)).raw(true);
      this.#firstVals = this.#db.prepare(valsSql(FIRST)).pluck(true);
      this.#afterVals = this.#db.prepare(valsSql(AFTER)).pluck(true);
      this.#firstTs = this.#db.prepare(`select min(ts) from samples where ${FIRST}`).pluck(true);
      this.#lastTs = this.#db.prepare(`select max(ts) from samples where ${FIRST}`).pluck(true);
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  /** Whether the window holds at least `rows` samples: counts no further than that on the index. */
  holdsAtLeast(tenantId: string, datasetId: string, window: DataWindow, rows: number): boolean {
    return (this.#countUpTo.get([tenantId, datasetId, window.since, window.until, rows]) as number) >= rows;
  }

  /** Samples in the window, from the index alone. */
  count(tenantId: string, datasetId: string, window: DataWindow): number {
    return this.#count.get([tenantId, datasetId, window.since, window.until]) as number;
  }

  /** The first and last ts of the window's samples (null: none), from the index alone. */
  extent(tenantId: string, datasetId: string, window: DataWindow): { first: number; last: number } | null {
    const args = [tenantId, datasetId, window.since, window.until];
    const first = this.#firstTs.get(args) as number | null;
    const last = this.#lastTs.get(args) as number | null;
    return first === null || last === null ? null : { first, last };
  }

  /**
   * The samples with since ≤ ts < until of one dataset, `features` values a row, in one snapshot.
   * Counted first (from the index alone), so the columns are allocated once at their size and each
   * page is unpacked into them as it arrives.
   */
  read(tenantId: string, datasetId: string, features: number, window: DataWindow): WindowPart {
    return this.#db.transaction(() => {
      const n = this.count(tenantId, datasetId, window);
      const part: WindowPart = {
        rows: n,
        columns: Array.from({ length: features }, () => new Float64Array(n)),
        ts: new Float64Array(n),
        label: new Float64Array(n),
        entityIndex: new Int32Array(n),
        entities: [],
      };
      part.entities = this.#fill(tenantId, datasetId, window, part, 0, n, true);
      return part;
    })();
  }

  /**
   * read() into rows [at, at + rows) of `target`'s arrays (a parallel read's shared columns), when
   * the window holds exactly `rows` samples in this snapshot; null when it holds another number (a
   * write since they were counted). Not counted again: a page asks for one row more than is left,
   * so a window that grew shows without a row written past the range. entityIndex gets codes into
   * the entities returned (numbered in order of first appearance in this window).
   */
  readInto(tenantId: string, datasetId: string, window: DataWindow, target: WindowPart, at: number, rows: number): string[] | null {
    return this.#db.transaction(() => this.#fill(tenantId, datasetId, window, target, at, rows, false))();
  }

  /**
   * Reads the window's n rows, page by page, into out[at…], in one transaction. `counted`: the
   * transaction counted them (a different number of rows is an error); otherwise n is what the
   * window should hold, and null says it does not.
   */
  #fill(tenantId: string, datasetId: string, window: DataWindow, out: WindowPart, at0: number, n: number, counted: true): string[];
  #fill(tenantId: string, datasetId: string, window: DataWindow, out: WindowPart, at0: number, n: number, counted: boolean): string[] | null;
  #fill(tenantId: string, datasetId: string, window: DataWindow, out: WindowPart, at0: number, n: number, counted: boolean): string[] | null {
    const features = out.columns.length;
    const pageRows = Math.max(1, Math.min(MAX_PAGE_ROWS, Math.floor(PAGE_BYTES / (features * 8 + 64))));
    const names: string[] = [];
    const codes = new Map<string, number>();
    const end = at0 + n;
    let at = at0;
    let cursor: [number, string] | null = null;
    const page = (limit: number) => {
      const args = cursor === null ? [tenantId, datasetId, window.since, window.until, limit] : [tenantId, datasetId, cursor[0], cursor[1], window.until, limit];
      return { args, row: (cursor === null ? this.#first : this.#after).get(args) as PageRow };
    };
    // Uncounted, the last page asks for one row more than is left: a row past the end shows there.
    let endChecked = counted;
    while (at < end) {
      const left = end - at;
      const limit = counted ? pageRows : Math.min(pageRows, left + 1);
      if (limit > left) endChecked = true;
      const { args, row } = page(limit);
      const [count, tsJson, entitiesJson, labelsJson, minWidth, maxWidth, blob] = row;
      if (count === 0 || count > left) {
        if (!counted) return null;
        // One snapshot: the pages hold exactly the rows counted.
        throw new NsError('NS_STORE', `dataset ${tenantId}/${datasetId}: the window's pages hold ${at - at0 + count} rows, ${n} were counted`);
      }
      const ts = JSON.parse(tsJson) as number[];
      const entities = JSON.parse(entitiesJson) as string[];
      const labels = JSON.parse(labelsJson) as Array<number | null>;
      for (let i = 0; i < count; i++) {
        if (at + i > at0 && !(ts[i]! >= out.ts[at + i - 1]!)) throw new NsError('NS_STORE', `dataset ${tenantId}/${datasetId}: the window's rows came out of time order`);
        out.ts[at + i] = ts[i]!;
        const l = labels[i];
        out.label[at + i] = l === null || l === undefined ? Number.NaN : l;
        const e = entities[i]!;
        let code = codes.get(e);
        if (code === undefined) {
          code = names.push(e) - 1;
          codes.set(e, code);
        }
        out.entityIndex[at + i] = code;
      }
      if (blob !== null && minWidth === maxWidth && blob.length === count * minWidth!) unpack(blob, minWidth!, count, out.columns, at);
      else (cursor === null ? this.#firstVals : this.#afterVals).all(args).forEach((v, i) => unpack(v as Buffer, (v as Buffer).length, 1, out.columns, at + i));
      at += count;
      cursor = [ts[count - 1]!, entities[count - 1]!];
    }
    // The rows ran out exactly at a page's end: whether any follow is asked with one more page of one row.
    if (!endChecked && page(1).row[0] > 0) return null;
    return names;
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * `rows` packed rows of `width` bytes each (Float64 little-endian, schema order) into columns[·][to…].
 * Features a row does not have (it was written before the schema gained them) read as NaN.
 */
function unpack(bytes: Buffer, width: number, rows: number, columns: Float64Array[], to: number): void {
  const nf = columns.length;
  const present = Math.min(nf, width >> 3);
  const stride = width >> 3;
  if (littleEndian && width % 8 === 0) {
    // A view needs 8-byte alignment; an unaligned blob is copied once.
    const f64 = bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, rows * stride) : new Float64Array(new Uint8Array(bytes.subarray(0, rows * width)).buffer);
    for (let f = 0; f < present; f++) {
      const out = columns[f]!;
      for (let i = 0, j = f; i < rows; i++, j += stride) out[to + i] = f64[j]!;
    }
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, rows * width);
    for (let f = 0; f < present; f++) {
      const out = columns[f]!;
      for (let i = 0; i < rows; i++) out[to + i] = view.getFloat64(i * width + f * 8, true);
    }
  }
  for (let f = present; f < nf; f++) columns[f]!.fill(Number.NaN, to, to + rows);
}
