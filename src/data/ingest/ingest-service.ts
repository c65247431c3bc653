/**
 * Sample ingest: a body (JSON array, NDJSON or CSV) → parsed → validated against the dataset's
 * schema (and, when the caller gives a clock bound, refused past the allowed skew ahead of the
 * service clock) → written in one transaction. Any bad row rejects the whole batch with every error
 * counted (the first 100 listed), and nothing is written. A row with the (entity, timestamp) of a
 * stored sample replaces it; the answer counts the rows inserted and those updated.
 */
import { NsError, notFound } from '../../errors.ts';
import { inTransaction, type Db } from '../../store/db.ts';
import { datasetLockKey, datasetSchemaOf, getDatasetRow, markIngested } from '../../store/datasets.ts';
import { writeSampleBatch, type SampleBatch } from '../../store/samples.ts';
import { sameSchema } from './dataset-definition.ts';
import { requireDataset } from './dataset-service.ts';
import { parseJsonArray, parseNdjson } from './records.ts';
import { describeRowError, RowErrors } from './row-errors.ts';
import type { ClockBound, Validated } from './validate.ts';
import { validateCsv } from './validate-csv.ts';
import { validateObjects } from './validate-json.ts';
import type { DatasetSchema } from '../types.ts';

export const INGEST_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type IngestFormat = (typeof INGEST_FORMATS)[number];

/** Rows per HTTP batch; the CLI allows more per file (one file is one batch). */
export const MAX_ROWS_PER_BATCH = 100_000;
export const MAX_ROWS_PER_FILE = 1_000_000;

export interface IngestRequest {
  tenantId: string;
  datasetId: string;
  format: IngestFormat;
  body: string;
  now: number;
  /** Default MAX_ROWS_PER_BATCH. */
  maxRows?: number;
  /** Refuse rows dated more than this ahead of `now` (the service passes NIGHTSHIFT_INGEST_MAX_SKEW); default: no bound. */
  maxSkewMs?: number;
}

export interface IngestResult {
  /** Rows written: inserted + updated (kept for callers of the first API). */
  accepted: number;
  /** Rows with an (entity, timestamp) not stored before. */
  inserted: number;
  /** Rows that replaced the stored sample with the same (entity, timestamp). */
  updated: number;
  rejected: 0;
}

/** What a committed ingest wrote, for the service's caches (serving's history cache). */
export interface WrittenSamples {
  schema: DatasetSchema;
  batch: SampleBatch;
  /** The dataset's ingest marker (datasets.last_ingest_at) before this write and after it. */
  previousMarker: number | null;
  marker: number;
}

const FORMAT_HINT: Record<IngestFormat, string> = {
  json: 'a JSON array of objects, one per row',
  ndjson: 'one JSON object per line',
  csv: 'a header row naming the columns, then one row per sample',
};

function parseAndValidate(schema: DatasetSchema, format: IngestFormat, body: string, maxRows: number, clock: ClockBound | null): Validated & { rows: number; truncated: boolean } {
  if (format === 'csv') return validateCsv(schema, body, maxRows, clock);
  const parsed = format === 'json' ? parseJsonArray(body, maxRows) : parseNdjson(body, maxRows);
  const errors = new RowErrors();
  errors.addAll(parsed.errors);
  return { ...validateObjects(schema, parsed.records, errors, clock), rows: parsed.records.length + parsed.errors.length, truncated: parsed.truncated };
}

/** Validates the batch in full, then writes it in one transaction (or nothing at all). */
export async function ingestSamples(db: Db, request: IngestRequest): Promise<IngestResult> {
  return (await ingestBatch(db, request)).result;
}

/** ingestSamples, also saying what was written (for the service's caches). */
export async function ingestBatch(db: Db, request: IngestRequest): Promise<{ result: IngestResult; written: WrittenSamples }> {
  const { tenantId, datasetId, format } = request;
  const maxRows = request.maxRows ?? MAX_ROWS_PER_BATCH;
  const stored = await requireDataset(db.k, tenantId, datasetId);
  const schema = datasetSchemaOf(stored);
  const body = request.body.charCodeAt(0) === 0xfeff ? request.body.slice(1) : request.body;
  if (body.trim() === '') throw new NsError('NS_VALIDATION', `the body is empty; send ${FORMAT_HINT[format]}`, { field: 'body' });

  const clock = request.maxSkewMs === undefined ? null : { now: request.now, maxSkewMs: request.maxSkewMs };
  const { batch, errors, rows, truncated } = parseAndValidate(schema, format, body, maxRows, clock);
  if (truncated) {
    throw new NsError('NS_PAYLOAD_TOO_LARGE', `the batch has more than ${maxRows} rows; split it into batches of at most ${maxRows} rows`, {
      field: 'body',
      details: { maxRows },
    });
  }
  if (errors.total > 0) {
    const first = errors.first[0]!;
    throw new NsError('NS_VALIDATION', `${errors.total} error(s) in a batch of ${rows} row(s); nothing was written. First: ${describeRowError(first)}`, {
      field: first.field ?? 'body',
      details: { errors: errors.first, errorCount: errors.total, rows },
    });
  }
  if (batch.rows === 0) throw new NsError('NS_VALIDATION', `the batch has no rows; send ${FORMAT_HINT[format]}`, { field: 'body' });

  return inTransaction(
    db,
    async (x) => {
      const now = await getDatasetRow(x, tenantId, datasetId);
      if (!now) throw notFound('dataset', datasetId);
      if (!sameSchema(datasetSchemaOf(now), schema)) {
        throw new NsError('NS_CONFLICT', `the schema of dataset "${datasetId}" changed while this batch was being validated; nothing was written, send it again`, { field: 'body', retryable: true });
      }
      const counts = await writeSampleBatch(x, schema, batch);
      // The marker moves forward with every ingest, even when clocks disagree: a cache can tell that someone wrote.
      const previousMarker = now.last_ingest_at === null ? null : Number(now.last_ingest_at);
      const marker = previousMarker === null ? request.now : Math.max(request.now, previousMarker + 1);
      await markIngested(x, tenantId, datasetId, marker);
      return { result: { accepted: batch.rows, ...counts, rejected: 0 as const }, written: { schema, batch, previousMarker, marker } };
    },
    { lock: datasetLockKey(tenantId, datasetId) },
  );
}

/** The format named by a file's extension (.json, .ndjson / .jsonl, .csv), or null. */
export function formatFromFileName(file: string): IngestFormat | null {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'json') return 'json';
  if (ext === 'ndjson' || ext === 'jsonl') return 'ndjson';
  if (ext === 'csv') return 'csv';
  return null;
}
