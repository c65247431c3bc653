/**
 * Reading a window of a dataset's samples (since ≤ ts < until), in (ts, entity) order: as RawSample
 * rows (loadSamples) or straight into columns for training (loadSampleColumns). Pages keep the
 * driver's row objects short-lived. Every statement takes the tenant.
 */
import { notFound } from '../errors.ts';
import type { DataWindow, DatasetSchema, RawSample } from '../data/types.ts';
import type { FeatureInfo } from '../trainers/types.ts';
import { datasetSchemaOf, getDatasetRow } from './datasets.ts';
import type { Executor } from './db.ts';
import { decodeSamples, dictionaryFor, selectSamplePage, selectSamplesAt, type StoredSample } from './samples.ts';

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

/** A window in the trainers' columnar form: one Float64Array per feature, NaN = missing. */
export interface SampleColumns {
  rows: number;
  /** Feature names and types in schema order; categoricals with their values (code i ↔ categories[i]). */
  features: FeatureInfo[];
  /** columns[f][i]: feature f of row i; categoricals as codes. */
  columns: Float64Array[];
  ts: Float64Array;
  /** NaN = missing label. */
  label: Float64Array;
  /** Row i belongs to entities[entityIndex[i]]. */
  entityIndex: Int32Array;
  entities: string[];
}

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
 * Row order is loadSamples' order.
 */
export async function loadSampleColumns(x: Executor, tenantId: string, datasetId: string, window: DataWindow): Promise<SampleColumns> {
  const schema = await schemaOf(x, tenantId, datasetId);
  const dictionary = await dictionaryFor(x, schema);
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
  const features: FeatureInfo[] = schema.features.map((f) => (f.type === 'categorical' ? { name: f.name, type: f.type, categories: dictionary.categories(f.name) } : { name: f.name, type: f.type }));
  return {
    rows: n,
    features,
    columns: columns.map((c) => c.subarray(0, n)),
    ts: ts.subarray(0, n),
    label: label.subarray(0, n),
    entityIndex: entityIndex.subarray(0, n),
    entities,
  };
}
