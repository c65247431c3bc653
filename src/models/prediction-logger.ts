/**
 * Predictions served through the API, logged so that labels ingested later measure the champion
 * live. Kept off the request's path: a prediction is sampled (`sampleRate`) and appended to an
 * in-memory batch held in columns (no object per prediction); the batch is written every `flushMs`,
 * or as soon as it holds `flushRows`, in multi-row INSERTs of a few fixed sizes (prediction-log.ts),
 * one transaction per batch. At most `maxBuffered` predictions wait; beyond that new ones are
 * dropped and counted (the store cannot keep up). A graceful stop (close) writes what is buffered;
 * a crash loses it, at most one batch of sampled predictions, which the live metric can spare: it is
 * a sample already. Only rows with an entity are logged: a label finds its prediction by (entity,
 * time). Storage is bounded per model (`maxRowsPerModel`, newest kept) and by age
 * (`retentionDays`), pruned hourly and whenever `maxRowsPerModel` rows were written since the last
 * prune, so a model logging thousands a second is held near twice its bound rather than an hour's worth.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { emptyPredictionLogBatch, insertPredictionLog, loggedModels, pruneModelLog, type PredictionLogBatch } from '../store/prediction-log.ts';
import { cappedTimeout, type CappedTimer } from '../timers.ts';

export interface PredictionLogSettings {
  sampleRate: number;
  maxRowsPerModel: number;
  retentionDays: number;
  flushMs: number;
  /** A batch this large is written without waiting for flushMs. */
  flushRows: number;
  maxBuffered: number;
}

export const PREDICTION_LOG_DEFAULTS: PredictionLogSettings = Object.freeze({ sampleRate: 1, maxRowsPerModel: 100_000, retentionDays: 30, flushMs: 1_000, flushRows: 4_096, maxBuffered: 50_000 });

const PRUNE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

export class PredictionLogger {
  #buffer: PredictionLogBatch = emptyPredictionLogBatch();
  /** Predictions handed to #write and not yet written (they count against maxBuffered). */
  #writing = 0;
  #timer: CappedTimer | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #lastPrune = 0;
  /** Rows written since the last prune (all models). */
  #sincePrune = 0;
  #dropped = 0;
  #closed = false;

  constructor(private readonly d: { db: Db; clock: Clock; logger: Logger; settings: PredictionLogSettings; random?: () => number }) {}

  /** Predictions sampled and not yet handed to a write (a batch reaching flushRows is handed over at once). */
  get buffered(): number {
    return this.#buffer.rows;
  }

  /** Predictions dropped because the buffer was full (the store could not keep up). */
  get dropped(): number {
    return this.#dropped;
  }

  log(tenantId: string, modelName: string, version: number, rows: ReadonlyArray<{ entity: string; ts: number }>, predictions: ReadonlyArray<{ prediction: number; probability?: number; score?: number }>): void {
    const { settings } = this.d;
    if (this.#closed || settings.sampleRate <= 0) return;
    const random = this.d.random ?? Math.random;
    const now = this.d.clock.now();
    const b = this.#buffer;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.entity === '' || (settings.sampleRate < 1 && random() >= settings.sampleRate)) continue;
      if (b.rows + this.#writing >= settings.maxBuffered) {
        this.#dropped++;
        continue;
      }
      const p = predictions[i]!;
      b.tenant.push(tenantId);
      b.model.push(modelName);
      b.entity.push(row.entity);
      b.ts.push(row.ts);
      b.version.push(version);
      b.prediction.push(p.prediction);
      b.score.push(p.probability ?? p.score ?? Number.NaN);
      b.loggedAt.push(now);
      b.rows++;
    }
    if (b.rows >= settings.flushRows) void this.flush();
    else if (b.rows > 0) this.#timer ??= cappedTimeout(() => void this.flush(), settings.flushMs);
  }

  /** Writes what is buffered (and prunes: hourly, or once maxRowsPerModel rows were written since the last prune). */
  flush(): Promise<void> {
    this.#timer?.clear();
    this.#timer = null;
    const batch = this.#buffer;
    this.#buffer = emptyPredictionLogBatch();
    this.#writing += batch.rows;
    this.#flushing = this.#flushing.then(() => this.#write(batch)).finally(() => (this.#writing -= batch.rows));
    return this.#flushing;
  }

  async #write(batch: PredictionLogBatch): Promise<void> {
    const { db, clock, logger, settings } = this.d;
    try {
      if (batch.rows > 0) await inTransaction(db, (x) => insertPredictionLog(x, batch));
      this.#sincePrune += batch.rows;
      const now = clock.now();
      // Hourly, or sooner once a model's bound may be exceeded: at serving rates (thousands a second) an hour
      // would pile up millions of rows past the bound, and their deletion would hold the store for seconds.
      if (now - this.#lastPrune >= PRUNE_EVERY_MS || this.#sincePrune >= settings.maxRowsPerModel) {
        this.#lastPrune = now;
        this.#sincePrune = 0;
        for (const m of await loggedModels(db.k)) {
          await inTransaction(db, (x) => pruneModelLog(x, m.tenantId, m.modelName, settings.maxRowsPerModel, now - settings.retentionDays * DAY_MS));
        }
      }
    } catch (error) {
      logger.warn({ err: error, rows: batch.rows }, 'could not log predictions; they are not counted in the live metric');
    }
  }

  /** Stops logging and writes what is buffered (a graceful stop loses nothing). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}
