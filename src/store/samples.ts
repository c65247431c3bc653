/**
 * Samples of a tenant's dataset, stored compactly: one row per sample with the feature values
 * packed into one binary column (Float64 little-endian in schema order, NaN for a missing value,
 * categoricals as codes into the dataset's dictionary). Every statement takes the tenant.
 *
 * Writes go in multi-row INSERT chunks inside the caller's transaction; a sample with the same
 * (entity, ts) as a stored one replaces it, so re-sending a batch is idempotent. A write counts the
 * rows it inserted (the others replaced a stored sample) without a second pass over the rows:
 * PostgreSQL's upsert returns, per row, whether it inserted it (`xmax = 0`: the row version has no
 * locker or deleter, which an ON CONFLICT update always leaves; the usual idiom, checked by the
 * contract tests on both dialects), summed by the statement; on SQLite, `samples` is a rowid table:
 * a new row gets the largest rowid plus one (SQLite's documented choice without AUTOINCREMENT, until
 * rowids reach 2^63 − 1) and an updated row keeps its own, so within the batch's transaction the
 * largest rowid grows by exactly the rows inserted (two seeks to the table's last row).
 */
import { CompiledQuery } from 'kysely';
import { NsError } from '../errors.ts';
import type { DataWindow, DatasetSchema, RawSample } from '../data/types.ts';
import type { Executor } from './db.ts';
import type { DatasetCategoriesTable, SamplesTable } from './schema.ts';

export type SampleRow = SamplesTable;
export type CategoryRow = DatasetCategoriesTable;
export type StoredSample = Pick<SampleRow, 'ts' | 'entity' | 'label' | 'vals'>;

/**
 * Rows per INSERT: at most 6 parameters a row (24,000 a statement) stays below both dialects'
 * parameter limits (SQLite 32,766, PostgreSQL 65,535); large chunks spread the per-statement cost
 * (better-sqlite3 prepares every statement Kysely sends) over more rows.
 */
const INSERT_CHUNK = 4000;

/**
 * Validated samples in columns, the form ingest writes: one array per column instead of one
 * object per row (a 100,000-row batch of RawSamples spent most of its time in garbage collection).
 * Only the first `rows` entries of each array count.
 */
export interface SampleBatch {
  rows: number;
  entity: readonly string[];
  ts: Float64Array;
  /** NaN = missing. */
  label: Float64Array;
  /** Row-major: feature f (schema order) of row i at i · features + f; NaN = missing; a categorical holds an index into categories[f]. */
  values: Float64Array;
  /** Per feature, the batch's own categorical values by index (empty for a numeric feature); coded into the dataset's dictionary on write. */
  categories: ReadonlyArray<readonly string[]>;
}

/** A batch ready for INSERT: vals packed for every row (`width` bytes each), categoricals as dictionary codes. */
interface EncodedBatch {
  tenantId: string;
  datasetId: string;
  batch: SampleBatch;
  vals: Buffer;
  width: number;
}

// ---------------------------------------------------------------- statements

/**
 * Ingest's hot path: rows [from, to) of an encoded batch as one multi-row upsert. The statement
 * text is made once per chunk size and dialect; each chunk only supplies its parameters.
 */
/** Upserts rows [from, to); on PostgreSQL returns how many it inserted (SQLite: 0, counted by rowid afterwards). */
async function insertSampleChunk(x: Executor, style: PlaceholderStyle, e: EncodedBatch, from: number, to: number): Promise<number> {
  const { batch, vals, width } = e;
  const shared = style === 'question';
  const params: unknown[] = new Array(shared ? 2 + (to - from) * 4 : (to - from) * 6);
  let p = 0;
  if (shared) {
    params[p++] = e.tenantId;
    params[p++] = e.datasetId;
  }
  for (let i = from; i < to; i += 1) {
    const label = batch.label[i]!;
    if (!shared) {
      params[p++] = e.tenantId;
      params[p++] = e.datasetId;
    }
    params[p++] = batch.ts[i];
    params[p++] = batch.entity[i];
    params[p++] = Number.isNaN(label) ? null : label;
    params[p++] = vals.subarray(i * width, (i + 1) * width);
  }
  const result = await x.executeQuery<{ inserted: string | number }>(CompiledQuery.raw(insertSql(style, to - from), params));
  return style === 'dollar' ? Number(result.rows[0]?.inserted ?? 0) : 0;
}

/** SQLite: the largest rowid of `samples` (a seek to the table's last row), 0 when it is empty. */
async function maxSampleRowid(x: Executor): Promise<number> {
  const { rows } = await x.executeQuery<{ m: number | null }>(CompiledQuery.raw('select max(rowid) as "m" from "samples"', []));
  return Number(rows[0]?.m ?? 0);
}



type PlaceholderStyle = 'question' | 'dollar';
const insertSqlCache = new Map<string, string>();

/**
 * SQLite: tenant and dataset bound once per statement and the rows as a VALUES list, 4 parameters
 * a row instead of 6 (less to bind, a smaller statement to compile: better-sqlite3 compiles every
 * statement Kysely sends); "where true" is SQLite's documented way to parse INSERT … SELECT …
 * ON CONFLICT. PostgreSQL: a plain multi-row VALUES (a VALUES subquery would type its untyped
 * parameters as text), answering with the count of rows it inserted.
 */
function insertSql(style: PlaceholderStyle, rows: number): string {
  const key = `${style}:${rows}`;
  let text = insertSqlCache.get(key);
  if (!text) {
    const columns = `insert into "samples" ("tenant_id", "dataset_id", "ts", "entity", "label", "vals")`;
    const upsert = `on conflict ("tenant_id", "dataset_id", "ts", "entity") do update set "label" = "excluded"."label", "vals" = "excluded"."vals"`;
    if (style === 'question') {
      const tuples = Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ');
      text = `${columns} select ?, ?, "column1", "column2", "column3", "column4" from (values ${tuples}) where true ${upsert}`;
    } else {
      let n = 0;
      const tuples = Array.from({ length: rows }, () => `($${++n}, $${++n}, $${++n}, $${++n}, $${++n}, $${++n})`).join(', ');
      text = `with "written" as (${columns} values ${tuples} ${upsert} returning ("xmax" = 0) as "inserted") select count(*) filter (where "inserted") as "inserted" from "written"`;
    }
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

/** Up to `limit` samples with from ≤ ts < until (of these entities, when given), in (ts, entity) order (the index order). */
export async function selectSamplePage(x: Executor, tenantId: string, datasetId: string, from: number, until: number, limit: number, entities?: readonly string[]): Promise<StoredSample[]> {
  let q = x
    .selectFrom('samples')
    .select(['ts', 'entity', 'label', 'vals'])
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '>=', from)
    .where('ts', '<', until);
  if (entities) q = q.where('entity', 'in', entities);
  return q
    .orderBy('ts')
    .orderBy('entity')
    .limit(limit)
    .execute();
}

/** Every sample at one instant (when more share it than a page holds). */
export async function selectSamplesAt(x: Executor, tenantId: string, datasetId: string, ts: number, entities?: readonly string[]): Promise<StoredSample[]> {
  let q = x
    .selectFrom('samples')
    .select(['ts', 'entity', 'label', 'vals'])
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '=', ts);
  if (entities) q = q.where('entity', 'in', entities);
  return q
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

/**
 * Packs every row's values (Float64 little-endian, schema order, NaN = missing) into one buffer,
 * coding each categorical through the dictionary once per distinct value, not once per row.
 */
function encodeBatch(schema: DatasetSchema, dictionary: CategoryDictionary, batch: SampleBatch): EncodedBatch {
  const features = schema.features;
  const nf = features.length;
  const codes = features.map((f, k) => (f.type === 'categorical' ? (batch.categories[k] ?? []).map((value) => dictionary.codeOf(f.name, value)) : null));
  const vals = Buffer.allocUnsafe(batch.rows * nf * 8);
  const out = new DataView(vals.buffer, vals.byteOffset, vals.byteLength);
  const values = batch.values;
  for (let i = 0, at = 0; i < batch.rows; i += 1) {
    for (let f = 0; f < nf; f += 1, at += 1) {
      const v = values[at]!;
      const coded = codes[f];
      out.setFloat64(at * 8, coded && !Number.isNaN(v) ? coded[v]! : v, true);
    }
  }
  return { tenantId: schema.tenantId, datasetId: schema.id, batch, vals, width: nf * 8 };
}

/** Samples as rows → the columnar batch (categoricals indexed in order of first appearance). */
function batchOfSamples(schema: DatasetSchema, samples: readonly RawSample[]): SampleBatch {
  const features = schema.features;
  const nf = features.length;
  const n = samples.length;
  const ts = new Float64Array(n);
  const label = new Float64Array(n);
  const values = new Float64Array(n * nf);
  const categories: string[][] = features.map(() => []);
  const indexes = features.map(() => new Map<string, number>());
  for (let i = 0; i < n; i += 1) {
    const s = samples[i]!;
    ts[i] = s.ts;
    label[i] = s.label ?? Number.NaN;
    for (let f = 0; f < nf; f += 1) {
      const v = s.values[features[f]!.name];
      let k: number | undefined = Number.NaN;
      if (typeof v === 'number') k = v;
      else if (typeof v === 'string') {
        k = indexes[f]!.get(v);
        if (k === undefined) {
          k = categories[f]!.push(v) - 1;
          indexes[f]!.set(v, k);
        }
      }
      values[i * nf + f] = k;
    }
  }
  return { rows: n, entity: samples.map((s) => s.entity), ts, label, values, categories };
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

export async function dictionaryFor(x: Executor, schema: DatasetSchema): Promise<CategoryDictionary> {
  const hasCategorical = schema.features.some((f) => f.type === 'categorical');
  return new CategoryDictionary(schema.tenantId, schema.id, hasCategorical ? await listCategories(x, schema.tenantId, schema.id) : []);
}

// ---------------------------------------------------------------- compositions

/** What a write did: rows that were new, and rows that replaced a stored sample with the same (entity, ts). */
export interface SampleWriteCounts {
  inserted: number;
  updated: number;
}

/**
 * Writes a validated batch (one sample per (entity, ts)) and any new dictionary entries; returns how
 * many rows were new and how many replaced a stored sample. Call inside the dataset's transaction,
 * which keeps the counts exact: no other write to the dataset runs between a chunk's two statements.
 */
export async function writeSampleBatch(x: Executor, schema: DatasetSchema, batch: SampleBatch): Promise<SampleWriteCounts> {
  const dictionary = await dictionaryFor(x, schema);
  const encoded = encodeBatch(schema, dictionary, batch);
  if (dictionary.added.length > 0) await insertCategories(x, dictionary.added);
  const style = placeholderStyle(x);
  const rowidBefore = style === 'question' ? await maxSampleRowid(x) : 0;
  let inserted = 0;
  for (let from = 0; from < batch.rows; from += INSERT_CHUNK) inserted += await insertSampleChunk(x, style, encoded, from, Math.min(batch.rows, from + INSERT_CHUNK));
  if (style === 'question') inserted = (await maxSampleRowid(x)) - rowidBefore;
  return { inserted, updated: batch.rows - inserted };
}

/** Writes validated samples given as rows; see writeSampleBatch. */
export async function writeSamples(x: Executor, schema: DatasetSchema, samples: readonly RawSample[]): Promise<SampleWriteCounts> {
  return writeSampleBatch(x, schema, batchOfSamples(schema, samples));
}

/**
 * Row i of a batch as the sample a read of the store returns for it (decodeSamples): every schema
 * feature in schema order, missing values null, categoricals as their values, a missing label null.
 */
export function sampleOfBatchRow(schema: DatasetSchema, batch: SampleBatch, i: number): RawSample {
  const features = schema.features;
  const nf = features.length;
  const values: Record<string, number | string | null> = {};
  for (let f = 0; f < nf; f += 1) {
    const feature = features[f]!;
    const v = batch.values[i * nf + f]!;
    values[feature.name] = Number.isNaN(v) ? null : feature.type === 'categorical' ? batch.categories[f]![v]! : v;
  }
  const label = batch.label[i]!;
  return { entity: batch.entity[i]!, ts: batch.ts[i]!, values, label: Number.isNaN(label) ? null : label };
}


/**
 * Where the newest `rows` samples of a window begin: the time of the rows-th newest (ties included
 * from there on), or window.since when the window holds fewer. Walks the (tenant, dataset, ts) index
 * backwards, without reading the rows.
 */
export async function newestRowsSince(x: Executor, tenantId: string, datasetId: string, window: DataWindow, rows: number): Promise<number> {
  const row = await x
    .selectFrom('samples')
    .select('ts')
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '>=', window.since)
    .where('ts', '<', window.until)
    .orderBy('ts', 'desc')
    .offset(Math.max(0, rows - 1))
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.ts) : window.since;
}

/** Labelled samples with ts ≥ sinceMs: what a retrain policy's minNewSamples counts. */
export async function countLabelledSince(x: Executor, tenantId: string, datasetId: string, sinceMs: number): Promise<number> {
  const row = await x
    .selectFrom('samples')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('dataset_id', '=', datasetId)
    .where('ts', '>=', sinceMs)
    .where('label', 'is not', null)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
