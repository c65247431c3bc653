import { CompiledQuery } from 'kysely';
/**
 * Samples of a tenant's dataset, stored compactly: one row per sample with the feature values
 * packed into one binary column (Float64 little-endian in schema order, NaN for a missing value,
 * categoricals as codes into the dataset's dictionary). Every statement takes the tenant.
 *
 * Writes go in multi-row INSERT chunks inside the caller's transaction; a sample with the same
 * (entity, ts) as a stored one replaces it, so re-sending a batch is idempotent.
 */
import { notFound, NsError } from '../errors.ts';
import type { DataWindow, DatasetSchema, RawSample } from '../data/types.ts';
import { datasetSchemaOf, getDatasetRow } from './datasets.ts';
import type { FeatureInfo } from '../trainers/types.ts';
import type { Executor } from './db.ts';
import type { DatasetCategoriesTable, SamplesTable } from './schema.ts';

export type SampleRow = SamplesTable;
export type CategoryRow = DatasetCategoriesTable;
type StoredSample = Pick<SampleRow, 'ts' | 'entity' | 'label' | 'vals'>;

/** Rows per INSERT: 6 parameters each stays far below both dialects' parameter limits. */
const INSERT_CHUNK = 1000;

// ---------------------------------------------------------------- statements

/**
 * Ingest's hot path. Building and compiling a 1,000-row INSERT through the query builder for every
 * chunk cost more than the insert itself, so the statement text is made once per chunk size and
 * dialect, and each chunk only supplies its parameters.
 */
export async function insertSampleRows(x: Executor, rows: readonly SampleRow[]): Promise<void> {
  const style = placeholderStyle(x);
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const params: unknown[] = new Array(chunk.length * 6);
    let p = 0;
    for (const r of chunk) {
      params[p++] = r.tenant_id;
      params[p++] = r.dataset_id;
      params[p++] = r.ts;
      params[p++] = r.entity;
      params[p++] = r.label;
      params[p++] = r.vals;
    }
    await x.executeQuery(CompiledQuery.raw(insertSql(style, chunk.length), params));
  }
}

type PlaceholderStyle = 'question' | 'dollar';
const insertSqlCache = new Map<string, string>();

function insertSql(style: PlaceholderStyle, rows: number): string {
  const key = `${style}:${rows}`;
  let text = insertSqlCache.get(key);
  if (!text) {
    let n = 0;
    const ph = () => (style === 'dollar' ? `$${++n}` : '?');
    const tuples = Array.from({ length: rows }, () => `(${ph()}, ${ph()}, ${ph()}, ${ph()}, ${ph()}, ${ph()})`).join(', ');
    text =
      `insert into "samples" ("tenant_id", "dataset_id", "ts", "entity", "label", "vals") values ${tuples} ` +
      `on conflict ("tenant_id", "dataset_id", "ts", "entity") do update set "label" = "excluded"."label", "vals" = "excluded"."vals"`;
    insertSqlCache.set(key, text);
  }
  return text;
}

/** Which placeholders the executor's dialect compiles to (PostgreSQL `$1`, SQLite `?`). */
function placeholderStyle(x: Executor): PlaceholderStyle {
  return x.selectFrom('samples').select('ts').where('ts', '=', 0).compile().sql.includes('$1') ? 'dollar' : 'question';
}

/** Samples with ts ≥ sinceMs: answered from the (tenant, dataset, ts, entity) index alone. */
export async function countSamplesSince(x: Executor, tenantId: string, datasetId: string, sinceMs: number): Promise<number> {
  const row = await x
    .selectFrom('samples')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '>=', sinceMs)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function countSamplesInWindow(x: Executor, tenantId: string, datasetId: string, window: DataWindow): Promise<number> {
  const row = await x
    .selectFrom('samples')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '>=', window.since)
    .where('ts', '<', window.until)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export interface SampleStats {
  count: number;
  firstTs: number | null;
  lastTs: number | null;
}

/** Count and time range of every dataset of a tenant that has samples, keyed by dataset id. */
export async function sampleStatsByDataset(x: Executor, tenantId: string, datasetId?: string): Promise<Map<string, SampleStats>> {
  let q = x
    .selectFrom('samples')
    .select((eb) => ['dataset_id', eb.fn.countAll<number>().as('n'), eb.fn.min('ts').as('first'), eb.fn.max('ts').as('last')])
    .where('tenant_id', '=', tenantId)
    .groupBy('dataset_id');
  if (datasetId !== undefined) q = q.where('dataset_id', '=', datasetId);
  const rows = await q.execute();
  return new Map(rows.map((r) => [r.dataset_id, { count: Number(r.n), firstTs: r.first === null ? null : Number(r.first), lastTs: r.last === null ? null : Number(r.last) }]));
}

export async function hasSamples(x: Executor, tenantId: string, datasetId: string): Promise<boolean> {
  const row = await x.selectFrom('samples').select('ts').where('tenant_id', '=', tenantId).where('dataset_id', '=', datasetId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Up to `limit` samples with from ≤ ts < until, in (ts, entity) order (the index order). */
export async function selectSamplePage(x: Executor, tenantId: string, datasetId: string, from: number, until: number, limit: number): Promise<StoredSample[]> {
  return x
    .selectFrom('samples')
    .select(['ts', 'entity', 'label', 'vals'])
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '>=', from)
    .where('ts', '<', until)
    .orderBy('ts')
    .orderBy('entity')
    .limit(limit)
    .execute();
}

/** Every sample at one instant (when more share it than a page holds). */
export async function selectSamplesAt(x: Executor, tenantId: string, datasetId: string, ts: number): Promise<StoredSample[]> {
  return x
    .selectFrom('samples')
    .select(['ts', 'entity', 'label', 'vals'])
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '=', ts)
    .orderBy('entity')
    .execute();
}

export async function listCategories(x: Executor, tenantId: string, datasetId: string): Promise<CategoryRow[]> {
  return x.selectFrom('dataset_categories').selectAll().where('tenant_id', '=', tenantId).where('dataset_id', '=', datasetId).execute();
}

export async function insertCategories(x: Executor, rows: readonly CategoryRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await x.insertInto('dataset_categories').values(rows.slice(i, i + INSERT_CHUNK)).execute();
}

export async function deleteCategories(x: Executor, tenantId: string, datasetId: string): Promise<void> {
  await x.deleteFrom('dataset_categories').where('tenant_id', '=', tenantId).where('dataset_id', '=', datasetId).execute();
}

// ---------------------------------------------------------------- encoding

/** A dataset's categorical dictionary: per feature, value → code and code → value. */
export class CategoryDictionary {
  readonly #codes = new Map<string, Map<string, number>>();
  readonly #values = new Map<string, Map<number, string>>();
  readonly added: CategoryRow[] = [];

  constructor(
    readonly tenantId: string,
    readonly datasetId: string,
    rows: readonly CategoryRow[],
  ) {
    for (const r of rows) this.#remember(r.feature, r.value, r.code);
  }

  #remember(feature: string, value: string, code: number): void {
    let codes = this.#codes.get(feature);
    let values = this.#values.get(feature);
    if (!codes || !values) {
      codes = new Map();
      values = new Map();
      this.#codes.set(feature, codes);
      this.#values.set(feature, values);
    }
    codes.set(value, code);
    values.set(code, value);
  }

  /** The value's code, allocating the next one (recorded in `added`) for a value not seen before. */
  codeOf(feature: string, value: string): number {
    const known = this.#codes.get(feature)?.get(value);
    if (known !== undefined) return known;
    const code = this.#codes.get(feature)?.size ?? 0;
    this.#remember(feature, value, code);
    this.added.push({ tenant_id: this.tenantId, dataset_id: this.datasetId, feature, code, value });
    return code;
  }

  /** The feature's values by code (code i ↔ categories[i]). */
  categories(feature: string): string[] {
    const values = this.#values.get(feature);
    if (!values) return [];
    const out = new Array<string>(values.size);
    for (const [code, value] of values) out[code] = value;
    return out;
  }

  valueOf(feature: string, code: number): string {
    const value = this.#values.get(feature)?.get(code);
    if (value === undefined) throw new NsError('NS_STORE', `dataset ${this.tenantId}/${this.datasetId}: category code ${code} of "${feature}" is not in its dictionary`);
    return value;
  }
}

/** Validated samples → rows (packing values, coding categoricals through the dictionary). */
export function encodeSamples(schema: DatasetSchema, dictionary: CategoryDictionary, samples: readonly RawSample[]): SampleRow[] {
  const features = schema.features;
  const width = features.length * 8;
  const packed = Buffer.allocUnsafe(width * samples.length);
  const rows: SampleRow[] = new Array<SampleRow>(samples.length);
  for (let i = 0; i < samples.length; i += 1) {
    const s = samples[i]!;
    const base = i * width;
    for (let f = 0; f < features.length; f += 1) {
      const feature = features[f]!;
      const v = s.values[feature.name];
      let n: number;
      if (v === null || v === undefined) n = Number.NaN;
      else if (typeof v === 'string') n = dictionary.codeOf(feature.name, v);
      else n = v;
      packed.writeDoubleLE(n, base + f * 8);
    }
    rows[i] = { tenant_id: schema.tenantId, dataset_id: schema.id, ts: s.ts, entity: s.entity, label: s.label, vals: packed.subarray(base, base + width) };
  }
  return rows;
}

/**
 * Rows → samples. A row written before trailing features were added to the schema is shorter:
 * its missing trailing values read as null.
 */
export function decodeSamples(schema: DatasetSchema, dictionary: CategoryDictionary, rows: readonly StoredSample[]): RawSample[] {
  const features = schema.features;
  const out = new Array<RawSample>(rows.length);
  for (let i = 0; i < rows.length; i += 1) {
    const r = rows[i]!;
    const vals = r.vals;
    const values: Record<string, number | string | null> = {};
    for (let f = 0; f < features.length; f += 1) {
      const feature = features[f]!;
      const at = f * 8;
      const n = at + 8 <= vals.length ? vals.readDoubleLE(at) : Number.NaN;
      values[feature.name] = Number.isNaN(n) ? null : feature.type === 'categorical' ? dictionary.valueOf(feature.name, n) : n;
    }
    out[i] = { entity: r.entity, ts: Number(r.ts), values, label: r.label === null ? null : Number(r.label) };
  }
  return out;
}

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
async function scanWindow(x: Executor, schema: DatasetSchema, window: DataWindow, onPage: (rows: StoredSample[]) => void): Promise<void> {
  let from = window.since;
  for (;;) {
    let rows = await selectSamplePage(x, schema.tenantId, schema.id, from, window.until, SCAN_PAGE);
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
        rows = await selectSamplesAt(x, schema.tenantId, schema.id, lastTs);
        from = lastTs + 1;
      }
    }
    if (rows.length > 0) onPage(binaryEntityOrder(rows));
    if (!full) return;
  }
}

async function dictionaryFor(x: Executor, schema: DatasetSchema): Promise<CategoryDictionary> {
  const hasCategorical = schema.features.some((f) => f.type === 'categorical');
  return new CategoryDictionary(schema.tenantId, schema.id, hasCategorical ? await listCategories(x, schema.tenantId, schema.id) : []);
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

// ---------------------------------------------------------------- compositions

/** Writes validated samples and any new dictionary entries. Call inside the dataset's transaction. */
export async function writeSamples(x: Executor, schema: DatasetSchema, samples: readonly RawSample[]): Promise<void> {
  const dictionary = await dictionaryFor(x, schema);
  const rows = encodeSamples(schema, dictionary, samples);
  if (dictionary.added.length > 0) await insertCategories(x, dictionary.added);
  await insertSampleRows(x, rows);
}

/** A window (since ≤ ts < until) of a dataset's samples as RawSample rows, ordered by ts then entity. */
export async function loadSamples(x: Executor, tenantId: string, datasetId: string, window: DataWindow): Promise<RawSample[]> {
  const schema = await schemaOf(x, tenantId, datasetId);
  const dictionary = await dictionaryFor(x, schema);
  const out: RawSample[] = [];
  await scanWindow(x, schema, window, (rows) => {
    for (const sample of decodeSamples(schema, dictionary, rows)) out.push(sample);
  });
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
  let capacity = Math.max(16, await countSamplesInWindow(x, tenantId, datasetId, window));
  let columns = Array.from({ length: nf }, () => new Float64Array(capacity));
  let ts = new Float64Array(capacity);
  let label = new Float64Array(capacity);
  let entityIndex = new Int32Array(capacity);
  const entities: string[] = [];
  const entityCodes = new Map<string, number>();
  let n = 0;
  await scanWindow(x, schema, window, (rows) => {
    if (n + rows.length > capacity) {
      // Rows committed after the count: grow.
      capacity = Math.ceil((n + rows.length) * 1.5);
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
      const vals = r.vals;
      for (let f = 0; f < nf; f += 1) columns[f]![n] = f * 8 + 8 <= vals.length ? vals.readDoubleLE(f * 8) : Number.NaN;
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
