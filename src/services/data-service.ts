/**
 * Training data per tenant: dataset schemas (define, describe, list), sample ingest (JSON, NDJSON,
 * CSV; a batch is written whole or not at all; timestamps at most `maxSkewMs` ahead of the clock),
 * and the generated demo data a declared dataset may ask for. Another tenant's dataset is not found.
 * Every write is told to `samples` (serving's history cache), so what it holds stays in step.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { defineDataset, describeDataset, listDatasets, type DatasetView, type DefineResult } from '../data/ingest/dataset-service.ts';
import type { EngineEvents } from '../events.ts';
import { ingestBatch, type IngestFormat, type IngestResult, type WrittenSamples } from '../data/ingest/ingest-service.ts';
import { generateTenant, seriesEndOf, toRawSamples, type SyntheticOptions } from '../data/synthetic/index.ts';
import type { DatasetSchema } from '../data/types.ts';
import type { DatasetGenerator } from '../config/types.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { hasSamples, writeSamples } from '../store/samples.ts';

export interface IngestInput {
  tenantId: string;
  datasetId: string;
  format: IngestFormat;
  body: string;
  /** Default MAX_ROWS_PER_BATCH (the HTTP limit); the CLI allows a whole file. */
  maxRows?: number;
}

import { contextLogger } from '../log-context.ts';

/**
 * The generated series of a declared dataset's `index`-th tenant, first started at `nowMs`: `days`
 * days ending at the start of that UTC day (seriesEndOf), so its rows, and the holdout of a model
 * whose window covers them, do not depend on the time of day of the first start.
 */
export function demoSeries(g: DatasetGenerator, index: number, nowMs: number): SyntheticOptions {
  return { tenants: 1, machines: g.machines, days: g.days, seed: g.seed + index, intervalMs: g.intervalMinutes * 60_000, endMs: seriesEndOf(nowMs) };
}

/** Who keeps copies of samples (serving's history cache) and must hear of every write. */
export interface SampleWriteListener {
  /** A write to the dataset may begin: copies being read from the store now may miss it. */
  writing(tenantId: string, datasetId: string): void;
  /** A write committed. */
  written(w: WrittenSamples): void;
  /** The dataset changed other than by an ingest (schema, generated data): drop every copy. */
  reset(tenantId: string, datasetId: string): void;
}

import { NO_AUDIT, type AuditRecorder } from './audit-service.ts';

export interface DataServiceDeps {
  /** Where each change is recorded (audit-service.ts); none in tests of this service alone. */
  audit?: AuditRecorder;
  db: Db;
  clock: Clock;
  logger: Logger;
  events: EngineEvents;
  /** Samples dated further ahead of the clock are refused (NIGHTSHIFT_INGEST_MAX_SKEW). */
  maxSkewMs: number;
  samples?: SampleWriteListener;
}

export class DataService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: EngineEvents;
  readonly #maxSkewMs: number;
  readonly #samples: SampleWriteListener | undefined;
  readonly #audit: AuditRecorder;

  constructor(deps: DataServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#events = deps.events;
    this.#maxSkewMs = deps.maxSkewMs;
    this.#samples = deps.samples;
    this.#audit = deps.audit ?? NO_AUDIT;
  }

  /** Creates the dataset or changes its schema (NS_CONFLICT when stored samples would not survive the change). */
  async define(schema: DatasetSchema): Promise<DefineResult> {
    return this.#audit.track((result: DefineResult) => ({ action: 'dataset.define', tenantId: schema.tenantId, target: `dataset/${schema.tenantId}/${schema.id}`, after: { result, features: schema.features.length, label: schema.label.name } }), async () => {
      this.#samples?.writing(schema.tenantId, schema.id);
      try {
        const result = await defineDataset(this.#db, schema, this.#clock.now());
        if (result !== 'unchanged') contextLogger(this.#logger).info({ tenantId: schema.tenantId, dataset: schema.id, result }, 'dataset defined');
        return result;
      } finally {
        this.#samples?.reset(schema.tenantId, schema.id);
      }
    });
  }

  describe(tenantId: string, datasetId: string): Promise<DatasetView> {
    return describeDataset(this.#db.k, tenantId, datasetId);
  }

  list(tenantId: string): Promise<DatasetView[]> {
    return listDatasets(this.#db.k, tenantId);
  }

  /** Writes the batch (all of it or nothing); counts the rows inserted and the rows that replaced a stored sample. */
  async ingest(input: IngestInput): Promise<IngestResult> {
    return this.#audit.track((result: IngestResult) => ({ action: 'samples.ingest', tenantId: input.tenantId, target: `dataset/${input.tenantId}/${input.datasetId}`, after: { format: input.format, bytes: Buffer.byteLength(input.body), ...result } }), async () => {
      this.#samples?.writing(input.tenantId, input.datasetId);
      const { result, written } = await ingestBatch(this.#db, { ...input, now: this.#clock.now(), maxSkewMs: this.#maxSkewMs });
      this.#samples?.written(written);
      contextLogger(this.#logger).info({ tenantId: input.tenantId, dataset: input.datasetId, format: input.format, bytes: Buffer.byteLength(input.body), ...result }, 'samples ingested');
      this.#events.emit('samples:ingested', { tenantId: input.tenantId, datasetId: input.datasetId, rows: result.accepted });
      return result;
    });
  }

  /**
   * Fills an empty dataset with generated predictive-maintenance data (the demo's first start): each
   * tenant its own fleet (seed + index), ending at the start of the current UTC day (demoSeries).
   * Does nothing when the dataset holds samples already.
   */
  async generateIfEmpty(schema: DatasetSchema, g: DatasetGenerator, index: number): Promise<number> {
    if (await hasSamples(this.#db.k, schema.tenantId, schema.id)) return 0;
    const t0 = performance.now();
    const fleet = generateTenant(demoSeries(g, index, this.#clock.now()), 0);
    this.#samples?.writing(schema.tenantId, schema.id);
    try {
      await inTransaction(this.#db, (x) => writeSamples(x, schema, toRawSamples(fleet.records)));
    } finally {
      this.#samples?.reset(schema.tenantId, schema.id);
    }
    this.#logger.info({ tenantId: schema.tenantId, dataset: schema.id, samples: fleet.records.length, machines: g.machines, days: g.days, ms: Math.round(performance.now() - t0) }, 'generated demo data');
    return fleet.records.length;
  }
}
