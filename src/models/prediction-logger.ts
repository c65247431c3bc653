/**
 * Predictions served through the API, logged so that labels ingested later measure the champion
 * live. Kept off the request's path: a prediction is sampled (`sampleRate`), buffered in memory (at
 * most `maxBuffered` entries; beyond that new ones are dropped and counted) and written in batches
 * every `flushMs`. Only rows with an entity are logged: a label finds its prediction by (entity,
 * time). Storage is bounded per model (`maxRowsPerModel`, newest kept) and by age (`retentionDays`),
 * pruned hourly.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { insertPredictionLog, loggedModels, pruneModelLog, type PredictionLogRow } from '../store/prediction-log.ts';
import { cappedTimeout, type CappedTimer } from '../timers.ts';

export interface PredictionLogSettings {
  sampleRate: number;
  maxRowsPerModel: number;
  retentionDays: number;
  flushMs: number;
  maxBuffered: number;
}

export const PREDICTION_LOG_DEFAULTS: PredictionLogSettings = Object.freeze({ sampleRate: 1, maxRowsPerModel: 100_000, retentionDays: 30, flushMs: 1_000, maxBuffered: 50_000 });

const PRUNE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

export class PredictionLogger {
  #buffer: PredictionLogRow[] = [];
  #timer: CappedTimer | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #lastPrune = 0;
  #dropped = 0;
  #closed = false;

  constructor(private readonly d: { db: Db; clock: Clock; logger: Logger; settings: PredictionLogSettings; random?: () => number }) {}

  /** Predictions dropped because the buffer was full (the store could not keep up). */
  get dropped(): number {
    return this.#dropped;
  }

  log(tenantId: string, modelName: string, version: number, rows: ReadonlyArray<{ entity: string; ts: number }>, predictions: ReadonlyArray<{ prediction: number; probability?: number; score?: number }>): void {
    const { settings } = this.d;
    if (this.#closed || settings.sampleRate <= 0) return;
    const random = this.d.random ?? Math.random;
    const now = this.d.clock.now();
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.entity === '' || (settings.sampleRate < 1 && random() >= settings.sampleRate)) continue;
      if (this.#buffer.length >= settings.maxBuffered) {
        this.#dropped++;
        continue;
      }
      const p = predictions[i]!;
      this.#buffer.push({ tenant_id: tenantId, model_name: modelName, entity: row.entity, ts: row.ts, version, prediction: p.prediction, score: p.probability ?? p.score ?? null, logged_at: now });
    }
    if (this.#buffer.length > 0) this.#timer ??= cappedTimeout(() => void this.flush(), settings.flushMs);
  }

  /** Writes what is buffered (and prunes, at most hourly). */
  flush(): Promise<void> {
    this.#timer?.clear();
    this.#timer = null;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = this.#flushing.then(() => this.#write(batch));
    return this.#flushing;
  }

  async #write(batch: PredictionLogRow[]): Promise<void> {
    const { db, clock, logger, settings } = this.d;
    try {
      if (batch.length > 0) await inTransaction(db, (x) => insertPredictionLog(x, batch));
      const now = clock.now();
      if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
        this.#lastPrune = now;
        for (const m of await loggedModels(db.k)) {
          await inTransaction(db, (x) => pruneModelLog(x, m.tenantId, m.modelName, settings.maxRowsPerModel, now - settings.retentionDays * DAY_MS));
        }
      }
    } catch (error) {
      logger.warn({ err: error, rows: batch.length }, 'could not log predictions; they are not counted in the live metric');
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }
}
