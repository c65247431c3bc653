/**
 * Reading a window of a dataset's samples (since ≤ ts < until), in (ts, entity) order: as RawSample
 * rows (loadSamples) or straight into columns for training (loadSampleColumns). Pages keep the
 * driver's row objects short-lived. Every statement takes the tenant. On SQLite, columns are read
 * on a connection of their own, a page per result row (sample-window-sqlite.ts), by several
 * threads when asked (sample-window-parallel.ts).
 */
import { notFound } from '../errors.ts';
import type { DataWindow, DatasetSchema, RawSample, SampleColumns } from '../data/types.ts';
import type { FeatureInfo } from '../trainers/types.ts';
import { datasetSchemaOf, getDatasetRow } from './datasets.ts';
import { sqliteFileOf, type Executor } from './db.ts';
import { readWindowInParallel } from './sample-window-parallel.ts';
import { SqliteWindowReader, type WindowPart } from './sample-window-sqlite.ts';
import { CategoryDictionary, decodeSamples, dictionaryFor, newestRowsSince, selectSamplePage, selectSamplesAt, type StoredSample } from './samples.ts';

/**
 * Orders ties on ts by entity in code-unit order, the same on every dialect (PostgreSQL sorts text
 * by its collation). Rows arrive ordered by ts, so only runs of equal ts are touched.
 */
function binaryEntityOrder(rows: StoredSample[]): StoredSample[] {
  let start = 0;
  for (let i = 1; i <= rows.length; i += 1) {
    if (i < rows.length && Number(rows[i]!.ts) === Number(rows[start]!.ts)) continue;
    if (i - start > 1) {
      let sorted = true;
      for (let j = start + 1; j < i && sorted; j += 1) sorted = rows[j - 1]!.entity < rows[j]!.entity;
      if (!sorted) {
        const run = rows.slice(start, i).sort((a, b) => (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
        for (let j = 0; j < run.length; j += 1) rows[start + j] = run[j]!;
      }
    }
    start = i;
  }
  return rows;
}

/**
 * Rows per page when scanning a window. Pages keep the driver's row objects short-lived (a 1M-row
 * result held at once spends most of its time in garbage collection) and end on a whole instant,
 * so ties are ordered within a page.
 */
const SCAN_PAGE = 16_384;

/** Calls onPage with consecutive pages of the window, in (ts, entity) order. */
async function scanWindow(x: Executor, schema: DatasetSchema, window: DataWindow, onPage: (rows: StoredSample[]) => void, entities?: readonly string[]): Promise<void> {
  let from = window.since;
  for (;;) {
    let rows = await selectSamplePage(x, schema.tenantId, schema.id, from, window.until, SCAN_PAGE, entities);
    const full = rows.length === SCAN_PAGE;
    if (full) {
      const lastTs = Number(rows[rows.length - 1]!.ts);
      let cut = rows.length;
      while (cut > 0 && Number(rows[cut - 1]!.ts) === lastTs) cut -= 1;
      // The last instant may continue on the next page: it starts the next page instead, whole.
      if (cut > 0) {
        rows = rows.slice(0, cut);
        from = lastTs;
      } else {
        rows = await selectSamplesAt(x, schema.tenantId, schema.id, lastTs, entities);
        from = lastTs + 1;
      }
    }
    if (rows.length > 0) onPage(binaryEntityOrder(rows));
    if (!full) return;
  }
}

async function schemaOf(x: Executor, tenantId: string, datasetId: string): Promise<DatasetSchema> {
  const row = await getDatasetRow(x, tenantId, datasetId);
  if (!row) throw notFound('dataset', datasetId);
  return datasetSchemaOf(row);
}

export type { SampleColumns } from '../data/types.ts';

/** A window (since ≤ ts < until) of a dataset's samples (of these entities, when given) as RawSample rows, ordered by ts then entity. */
export async function loadSamples(x: Executor, tenantId: string, datasetId: string, window: DataWindow, entities?: readonly string[]): Promise<RawSample[]> {
  const schema = await schemaOf(x, tenantId, datasetId);
  const dictionary = await dictionaryFor(x, schema);
  const out: RawSample[] = [];
  await scanWindow(x, schema, window, (rows) => {
    for (const sample of decodeSamples(schema, dictionary, rows)) out.push(sample);
  }, entities);
  return out;
}

/**
 * The same window straight into columns (no per-row objects survive): the fast path for training.
 * Row order and entity numbering are loadSamples' order. On SQLite the window is read on its own
 * read-only connection (sample-window-sqlite.ts), by `threads` threads (each its own connection
 * and snapshot) when more than one is given; on PostgreSQL in pages through `x`.
 */
export async function loadSampleColumns(x: Executor, tenantId: string, datasetId: string, window: DataWindow, options: { threads?: number } = {}): Promise<SampleColumns> {
  const schema = await schemaOf(x, tenantId, datasetId);
  const dictionary = await dictionaryFor(x, schema);
  const file = sqliteFileOf(x);
  const part = file !== null ? await readSqliteWindow(file, schema, window, options.threads ?? 1) : await readPagedWindow(x, schema, window);
  const features: FeatureInfo[] = schema.features.map((f) => (f.type === 'categorical' ? { name: f.name, type: f.type, categories: dictionary.categories(f.name) } : { name: f.name, type: f.type }));
  checkCategoryCodes(schema, dictionary, features, part.columns);
  return { rows: part.rows, features, columns: part.columns, ts: part.ts, label: part.label, entityIndex: part.entityIndex, entities: part.entities };
}

/**
 * The newest `maxRows` samples of a window (all of them when it holds fewer) in columns, in
 * loadSampleColumns' order, reading only the part of the window they occupy. It starts at the
 * instant of the maxRows-th newest: samples sharing that instant come whole, so there may be a few
 * more rows than asked (the caller takes the last maxRows).
 */
export async function loadNewestColumns(x: Executor, tenantId: string, datasetId: string, window: DataWindow, maxRows: number): Promise<SampleColumns> {
  const since = await newestRowsSince(x, tenantId, datasetId, window, maxRows);
  return loadSampleColumns(x, tenantId, datasetId, { since, until: window.until });
}

async function readSqliteWindow(file: string, schema: DatasetSchema, window: DataWindow, threads: number): Promise<WindowPart> {
  const part = threads > 1 ? await readWindowInParallel(file, schema, window, threads) : readWindowOnce(file, schema, window);
  return orderTies(part);
}

function readWindowOnce(file: string, schema: DatasetSchema, window: DataWindow): WindowPart {
  const reader = new SqliteWindowReader(file);
  try {
    return reader.read(schema.tenantId, schema.id, schema.features.length, window);
  } finally {
    reader.close();
  }
}

/**
 * Samples sharing a ts in JavaScript's entity order (code units), as binaryEntityOrder puts them:
 * SQLite sorts by UTF-8 bytes, which differs only for characters past U+FFFF (surrogate pairs in
 * JavaScript), so a window whose entities have none is already in order. Entities are numbered
 * again in order of first appearance if a run moved.
 */
function orderTies(part: WindowPart): WindowPart {
  const { ts, entityIndex, entities } = part;
  if (!entities.some((e) => /[\uD800-\uDFFF]/.test(e))) return part;
  let moved = false;
  for (let start = 0; start < part.rows; ) {
    let end = start + 1;
    while (end < part.rows && ts[end] === ts[start]) end++;
    let sorted = true;
    for (let j = start + 1; j < end && sorted; j++) sorted = entities[entityIndex[j - 1]!]! < entities[entityIndex[j]!]!;
    if (!sorted) {
      const order = Array.from({ length: end - start }, (_, k) => start + k).sort((a, b) => {
        const ea = entities[entityIndex[a]!]!;
        const eb = entities[entityIndex[b]!]!;
        return ea < eb ? -1 : ea > eb ? 1 : 0;
      });
      for (const column of [...part.columns, part.label, part.entityIndex]) {
        const run = order.map((i) => column[i]!);
        run.forEach((v, k) => (column[start + k] = v));
      }
      moved = true;
    }
    start = end;
  }
  if (!moved) return part;
  const renumbered = new Int32Array(entities.length).fill(-1);
  const order: string[] = [];
  for (let i = 0; i < part.rows; i++) {
    const old = entityIndex[i]!;
    if (renumbered[old] === -1) renumbered[old] = order.push(entities[old]!) - 1;
    entityIndex[i] = renumbered[old]!;
  }
  return { ...part, entities: order };
}

/** Every categorical code must be in the dictionary (decodeSamples' check, with its error). */
function checkCategoryCodes(schema: DatasetSchema, dictionary: CategoryDictionary, features: readonly FeatureInfo[], columns: readonly Float64Array[]): void {
  features.forEach((f, k) => {
    if (f.type !== 'categorical') return;
    const categories = f.categories!;
    const column = columns[k]!;
    for (let i = 0; i < column.length; i++) {
      const code = column[i]!;
      if (!Number.isNaN(code) && categories[code] === undefined) dictionary.valueOf(schema.features[k]!.name, code);
    }
  });
}

/** The paged reader (PostgreSQL, or a transaction's executor): pages through `x`, already in (ts, entity) order. */
async function readPagedWindow(x: Executor, schema: DatasetSchema, window: DataWindow): Promise<WindowPart> {
  const nf = schema.features.length;
  // Grown as pages arrive (doubling): counting the window first costs a pass over its index.
  let capacity = 65_536;
  let columns = Array.from({ length: nf }, () => new Float64Array(capacity));
  let ts = new Float64Array(capacity);
  let label = new Float64Array(capacity);
  let entityIndex = new Int32Array(capacity);
  const entities: string[] = [];
  const entityCodes = new Map<string, number>();
  const scratch = new Float64Array(nf);
  const scratchBytes = new Uint8Array(scratch.buffer);
  let n = 0;
  await scanWindow(x, schema, window, (rows) => {
    if (n + rows.length > capacity) {
      capacity = Math.max(capacity * 2, n + rows.length);
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (size: number) => T): T => {
        const b = make(capacity);
        b.set(a);
        return b;
      };
      columns = columns.map((c) => grow(c, (k) => new Float64Array(k)));
      ts = grow(ts, (k) => new Float64Array(k));
      label = grow(label, (k) => new Float64Array(k));
      entityIndex = grow(entityIndex, (k) => new Int32Array(k));
    }
    for (const r of rows) {
      // One copy of the packed values into an aligned buffer, then plain array reads (a Buffer
      // method call per value was the loop's main cost). Rows packed with fewer features (an older
      // schema) read the missing ones as NaN.
      const vals = r.vals;
      const present = Math.min(nf, vals.length >> 3);
      scratchBytes.set(vals.length <= scratchBytes.length ? vals : vals.subarray(0, scratchBytes.length));
      for (let f = 0; f < present; f += 1) columns[f]![n] = scratch[f]!;
      for (let f = present; f < nf; f += 1) columns[f]![n] = Number.NaN;
      ts[n] = Number(r.ts);
      label[n] = r.label === null ? Number.NaN : Number(r.label);
      let code = entityCodes.get(r.entity);
      if (code === undefined) {
        code = entities.length;
        entities.push(r.entity);
        entityCodes.set(r.entity, code);
      }
      entityIndex[n] = code;
      n += 1;
    }
  });
  return {
    rows: n,
    columns: columns.map((c) => c.subarray(0, n)),
    ts: ts.subarray(0, n),
    label: label.subarray(0, n),
    entityIndex: entityIndex.subarray(0, n),
    entities,
  };
}
