/**
 * Training triggered by arriving data (seed 004's "50+ new samples" without waiting for the nightly
 * slot): after samples are ingested into a tenant's dataset, each model of that tenant reading it
 * whose policy says `onIngest` has its data rules (minNewSamples, drift) assessed, and a run with
 * trigger `policy` is queued when they hold. Ingests are debounced per (tenant, dataset) — a burst
 * is assessed once, `debounceMs` after its last batch — and coalesced: a model with a run already
 * waiting gets no second one. The queued run assesses again before it trains.
 */
import type { Logger } from 'pino';
import { isNsError } from '../errors.ts';
import type { EngineEvents } from '../events.ts';
import type { ModelService } from '../models/model-service.ts';
import { cappedTimeout, type CappedTimer } from '../timers.ts';
import type { RunService } from './run-service.ts';

export class PolicyTrigger {
  readonly #pending = new Map<string, { tenantId: string; datasetId: string; timer: CappedTimer }>();
  readonly #running = new Set<Promise<void>>();
  readonly #off: () => void;
  #closed = false;

  constructor(
    private readonly d: { events: EngineEvents; models: Pick<ModelService, 'list' | 'assessDataRules'>; runs: Pick<RunService, 'trigger'>; logger: Logger; debounceMs: number },
  ) {
    this.#off = d.events.on('samples:ingested', ({ tenantId, datasetId }) => this.#schedule(tenantId, datasetId));
  }

  #schedule(tenantId: string, datasetId: string): void {
    if (this.#closed) return;
    const key = `${tenantId}\u0000${datasetId}`;
    this.#pending.get(key)?.timer.clear();
    this.#pending.set(key, { tenantId, datasetId, timer: cappedTimeout(() => this.#fire(key), this.d.debounceMs) });
  }

  #fire(key: string): void {
    const entry = this.#pending.get(key);
    if (!entry) return;
    this.#pending.delete(key);
    const work = this.#assess(entry.tenantId, entry.datasetId)
      .catch((error: unknown) => this.d.logger.warn({ err: error, tenantId: entry.tenantId, datasetId: entry.datasetId }, 'could not assess the models of an ingested dataset'))
      .finally(() => this.#running.delete(work));
    this.#running.add(work);
  }

  /** Assesses every model of the tenant that reads the dataset and triggers on ingest. */
  async #assess(tenantId: string, datasetId: string): Promise<void> {
    const models = (await this.d.models.list(tenantId)).filter((m) => m.definition.dataset === datasetId && m.definition.source.kind === 'store' && m.definition.retrain?.onIngest);
    for (const m of models) {
      const a = await this.d.models.assessDataRules(tenantId, m.definition.name);
      let runId: string | null = null;
      if (a.train && a.reason === 'policy') {
        try {
          runId = (await this.d.runs.trigger(m.jobId, tenantId, { mode: 'queue', trigger: 'policy', params: {} })).id;
          this.d.logger.info({ tenantId, model: m.definition.name, runId, summary: a.summary }, 'policy run queued after ingest');
        } catch (error) {
          // A run is already waiting for this model: it will train on these samples too.
          if (!(isNsError(error) && error.code === 'NS_CONFLICT')) throw error;
        }
      }
      this.d.events.emit('policy:assessed', { tenantId, model: m.definition.name, train: a.train, runId, summary: a.summary });
    }
  }

  /** Assesses what is pending now, and waits for every assessment in progress. */
  async flush(): Promise<void> {
    for (const [key, entry] of this.#pending) {
      entry.timer.clear();
      this.#fire(key);
    }
    await Promise.all([...this.#running]);
  }

  /** Ingests already made are still assessed (a CLI ingest's process closes right after it). */
  async close(): Promise<void> {
    this.#off();
    await this.flush();
    this.#closed = true;
  }
}
