import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Engine } from '../engine.ts';
import { EngineMetrics } from '../monitor/metrics.ts';
import { installErrorHandler } from './error-handler.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { healthRoutes, type DrainState } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { runRoutes } from './routes/runs.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { seedRoutes } from './seeds/index.ts';
import type { Api } from './types.ts';

export interface NightshiftPluginOptions {
  engine: Engine;
  /** Shared with the host server's shutdown: while true, /health answers 503. */
  drain?: DrainState;
  metrics?: EngineMetrics;
  /** Install nightshift's error handler (default true). A host with its own handler can say false. */
  errorHandler?: boolean;
}

/**
 * Every nightshift route as one Fastify plugin, so a user mounts nightshift inside their own
 * service. Not encapsulated (fastify-plugin): the error handler applies to its routes.
 */
const plugin: FastifyPluginAsync<NightshiftPluginOptions> = async (fastify, options) => {
  const app = fastify as unknown as Api;
  const { engine } = options;
  const metrics = options.metrics ?? new EngineMetrics(engine);
  if (!options.metrics) app.addHook('onClose', async () => metrics.close());
  if (options.errorHandler !== false) installErrorHandler(fastify);
  healthRoutes(app, engine, options.drain ?? { draining: false }, metrics);
  tenantRoutes(app, engine);
  jobRoutes(app, engine);
  scheduleRoutes(app, engine);
  runRoutes(app, engine);
  datasetRoutes(app, engine);
  seedRoutes(app, engine);
};

export const nightshiftPlugin = fp(plugin, { fastify: '5.x', name: 'nightshift' });
