/**
 * What the config file asks to exist at start: its datasets for each of their tenants (filled with
 * generated predictive-maintenance data when declared so and still empty: the demo's first start),
 * then a first training of every `trainOnStart` model that has no champion yet.
 */
import { checkDatasetDefinition } from '../data/ingest/dataset-definition.ts';
import { defineDataset } from '../data/ingest/dataset-service.ts';
import { generateTenant, toRawSamples } from '../data/synthetic/index.ts';
import type { TenantDefinition } from '../config/types.ts';
import type { DatasetGenerator } from '../config/model-entries.ts';
import type { DatasetSchema } from '../data/types.ts';
import type { Engine } from '../engine.ts';
import { isNsError } from '../errors.ts';
import { inTransaction } from '../store/db.ts';
import { hasSamples, writeSamples } from '../store/samples.ts';
import { activeRunsByKey, runKey } from '../store/runs.ts';

const inScope = (tenants: readonly string[] | null, t: TenantDefinition) => tenants === null || tenants.includes(t.id);

export async function bootstrapDeclared(engine: Engine, signal: AbortSignal): Promise<void> {
  const { settings, logger } = engine;
  for (const dataset of settings.datasets) {
    for (const [index, tenant] of settings.tenants.entries()) {
      if (signal.aborted) return;
      if (!inScope(dataset.tenants, tenant)) continue;
      const schema = checkDatasetDefinition(tenant.id, dataset.id, dataset.schema);
      await defineDataset(engine.db, schema, engine.clock.now());
      if (dataset.generate && !(await hasSamples(engine.db.k, tenant.id, dataset.id))) await generate(engine, schema, dataset.generate, index);
    }
  }
  if (settings.datasets.length > 0) logger.info({ datasets: settings.datasets.map((d) => d.id) }, 'declared datasets ready');
  for (const model of settings.models) {
    if (!model.definition.trainOnStart) continue;
    for (const tenant of settings.tenants) {
      if (signal.aborted) return;
      if (!inScope(model.tenants, tenant)) continue;
      if (await engine.models.registry.champion(tenant.id, model.definition.name)) continue;
      const active = (await activeRunsByKey(engine.db.k, [{ tenantId: tenant.id, jobId: model.jobId }])).get(runKey(tenant.id, model.jobId)) ?? [];
      if (active.length > 0) continue;
      try {
        const run = await engine.models.train(tenant.id, model.definition.name, { description: 'first training at start-up (trainOnStart)' });
        logger.info({ tenantId: tenant.id, model: model.definition.name, runId: run.id }, 'first training queued');
      } catch (error) {
        // Another node queued it first.
        if (!(isNsError(error) && error.code === 'NS_CONFLICT')) throw error;
      }
    }
  }
}

async function generate(engine: Engine, schema: DatasetSchema, g: DatasetGenerator, index: number): Promise<void> {
  const t0 = performance.now();
  // Each tenant its own fleet (seed + index), ending now, so the training window holds it.
  const fleet = generateTenant({ tenants: 1, machines: g.machines, days: g.days, seed: g.seed + index, intervalMs: g.intervalMinutes * 60_000, endMs: engine.clock.now() }, 0);
  await inTransaction(engine.db, (x) => writeSamples(x, schema, toRawSamples(fleet.records)));
  engine.logger.info({ tenantId: schema.tenantId, dataset: schema.id, samples: fleet.records.length, machines: g.machines, days: g.days, ms: Math.round(performance.now() - t0) }, 'generated demo data');
}
