import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services/services.ts';
import { EngineMetrics } from '../monitor/metrics.ts';
import { installErrorHandler } from './error-handler.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { healthRoutes, type DrainState } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { modelRoutes } from './routes/models.ts';
import { runRoutes } from './routes/runs.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { seedRoutes } from './seeds/index.ts';
import type { Api } from './types.ts';
import { validatorCompiler } from './validators.ts';

const NO_QUERY = Type.Object({}, { additionalProperties: false });

export interface NightshiftPluginOptions {
  services: Services;
  /** Shared with the host server's shutdown: while true, /health answers 503. */
  drain?: DrainState;
  metrics?: EngineMetrics;
}

/**
 * Every nightshift route as one Fastify plugin, so a user mounts nightshift inside their own
 * service. Encapsulated on purpose: strict body validation, JSON-only bodies and the NS_ error
 * handler apply to nightshift's routes and never change the host's own.
 */
export const nightshiftPlugin: FastifyPluginAsync<NightshiftPluginOptions> = async (fastify, options) => {
  const app = fastify as unknown as Api;
  const { services } = options;
  const metrics = options.metrics ?? new EngineMetrics(services);
  if (!options.metrics) app.addHook('onClose', async () => metrics.close());
  fastify.setValidatorCompiler(validatorCompiler);
  // One rule for query strings: a route that names none takes none, so a stray or misspelled
  // parameter is refused (400 naming it) instead of being ignored by a request that then writes.
  fastify.addHook('onRoute', (route) => {
    route.schema ??= {};
    route.schema.querystring ??= NO_QUERY;
  });
  fastify.removeContentTypeParser('text/plain');
  installErrorHandler(fastify);
  healthRoutes(app, services.health, options.drain ?? { draining: false }, metrics);
  tenantRoutes(app, services.tenants);
  jobRoutes(app, services);
  scheduleRoutes(app, services);
  runRoutes(app, services);
  datasetRoutes(app, services.data);
  modelRoutes(app, services.models);
  seedRoutes(app, services);
};
