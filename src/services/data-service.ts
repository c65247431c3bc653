/**
 * Training data per tenant: dataset schemas (define, describe, list), sample ingest (JSON, NDJSON,
 * CSV; a batch is written whole or not at all), and the generated demo data a declared dataset may
 * ask for. Another tenant's dataset is not found.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { EngineEvents } from '../events.ts';
import { defineDataset, describeDataset, listDatasets, type DatasetView, type DefineResult } from '../data/ingest/dataset-service.ts';
import { ingestSamples, type IngestFormat, type IngestResult } from '../data/ingest/ingest-service.ts';
import { generateTenant, seriesEndOf, toRawSamples, type SyntheticOptions } from '../data/synthetic/index.ts';
import type { DatasetSchema } from '../data/types.ts';
import type { DatasetGenerator } from '../config/types.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { hasSamples, writeSamples } from '../store/samples.ts';
import { contextLogger } from '../log-context.ts';

/**
 * The generated series of a declared dataset's `index`-th tenant, first started at `nowMs`: `days`
 * days ending at the start of that UTC day (seriesEndOf), so its rows, and the holdout of a model
 * whose window covers them, do not depend on the time of day of the first start.
 */
export function demoSeries(g: DatasetGenerator, index: number, nowMs: number): SyntheticOptions {
  return { tenants: 1, machines: g.machines, days: g.days, seed: g.seed + index, intervalMs: g.intervalMinutes * 60_000, endMs: seriesEndOf(nowMs) };
}

export interface IngestInput {
  tenantId: string;
  datasetId: string;
  format: IngestFormat;
  body: string;
  /** Default MAX_ROWS_PER_BATCH (the HTTP limit); the CLI allows a whole file. */
  maxRows?: number;
}

export class DataService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #logger: Logger;

  readonly #events: EngineEvents;

  constructor(deps: { db: Db; clock: Clock; logger: Logger; events: EngineEvents }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#events = deps.events;
  }

  /** Creates the dataset or changes its schema (NS_CONFLICT when stored samples would not survive the change). */
  async define(schema: DatasetSchema): Promise<DefineResult> {
    const result = await defineDataset(this.#db, schema, this.#clock.now());
    if (result !== 'unchanged') contextLogger(this.#logger).info({ tenantId: schema.tenantId, dataset: schema.id, result }, 'dataset defined');
    return result;
  }

  describe(tenantId: string, datasetId: string): Promise<DatasetView> {
    return describeDataset(this.#db.k, tenantId, datasetId);
  }

  list(tenantId: string): Promise<DatasetView[]> {
    return listDatasets(this.#db.k, tenantId);
  }

  async ingest(input: IngestInput): Promise<IngestResult> {
    const result = await ingestSamples(this.#db, { ...input, now: this.#clock.now() });
    contextLogger(this.#logger).info({ tenantId: input.tenantId, dataset: input.datasetId, format: input.format, bytes: Buffer.byteLength(input.body), ...result }, 'samples ingested');
    this.#events.emit('samples:ingested', { tenantId: input.tenantId, datasetId: input.datasetId, rows: result.accepted });
    return result;
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
    await inTransaction(this.#db, (x) => writeSamples(x, schema, toRawSamples(fleet.records)));
    this.#logger.info({ tenantId: schema.tenantId, dataset: schema.id, samples: fleet.records.length, machines: g.machines, days: g.days, ms: Math.round(performance.now() - t0) }, 'generated demo data');
    return fleet.records.length;
  }
}
