/**
 * What the config file asks to exist at start: its datasets for each of their tenants (filled with
 * generated predictive-maintenance data when declared so and still empty: the demo's first start),
 * then a first training of every `trainOnStart` model that has no champion yet. `serve` and a
 * library user's `start()` both run it.
 */
import type { Logger } from 'pino';
import { checkDatasetDefinition } from '../data/ingest/dataset-definition.ts';
import type { Settings, TenantDefinition } from '../config/types.ts';
import { isNsError } from '../errors.ts';
import type { DataService } from '../services/data-service.ts';
import type { RunService } from '../services/run-service.ts';
import type { ModelService } from './model-service.ts';

const inScope = (tenants: readonly string[] | null, t: TenantDefinition) => tenants === null || tenants.includes(t.id);

export interface BootstrapDeps {
  settings: Pick<Settings, 'datasets' | 'tenants' | 'models'>;
  data: DataService;
  models: ModelService;
  runs: Pick<RunService, 'active'>;
  logger: Logger;
}

export async function bootstrapDeclared(d: BootstrapDeps, signal: AbortSignal): Promise<void> {
  const { settings, logger } = d;
  for (const dataset of settings.datasets) {
    for (const [index, tenant] of settings.tenants.entries()) {
      if (signal.aborted) return;
      if (!inScope(dataset.tenants, tenant)) continue;
      const schema = checkDatasetDefinition(tenant.id, dataset.id, dataset.schema);
      await d.data.define(schema);
      if (dataset.generate) await d.data.generateIfEmpty(schema, dataset.generate, index);
    }
  }
  if (settings.datasets.length > 0) logger.info({ datasets: settings.datasets.map((ds) => ds.id) }, 'declared datasets ready');
  for (const model of settings.models) {
    if (!model.definition.trainOnStart) continue;
    for (const tenant of settings.tenants) {
      if (signal.aborted) return;
      if (!inScope(model.tenants, tenant)) continue;
      if (await d.models.registry.champion(tenant.id, model.definition.name)) continue;
      if ((await d.runs.active(tenant.id, model.jobId)).length > 0) continue;
      try {
        // Recorded as `startup` (the run's trigger, its version's, the champion history's actor), not as someone's `manual` request.
        const run = await d.models.train(tenant.id, model.definition.name, { description: 'first training at start-up (trainOnStart)' }, 'now', 'startup');
        logger.info({ tenantId: tenant.id, model: model.definition.name, runId: run.id }, 'first training queued');
      } catch (error) {
        // Another node queued it first.
        if (!(isNsError(error) && error.code === 'NS_CONFLICT')) throw error;
      }
    }
  }
}

/**
 * The bootstrap running in the background after start (so /health answers meanwhile): `serve` and a
 * library user's `start()` both use it; `stop()` aborts it and waits for it before the store closes.
 */
export class BackgroundBootstrap {
  readonly #abort = new AbortController();
  #done: Promise<void> = Promise.resolve();

  start(d: BootstrapDeps): void {
    this.#done = bootstrapDeclared(d, this.#abort.signal).catch((error: unknown) =>
      d.logger.error({ err: error }, 'could not prepare the declared datasets and first trainings'),
    );
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }
}
