import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Services } from '../services/services.ts';
import { ERROR_CODES } from '../errors.ts';
import { EngineMetrics } from '../monitor/metrics.ts';
import { installErrorHandler, installNotFoundHandler } from './error-handler.ts';
import { nightshiftPlugin } from './plugin.ts';
import { validatorCompiler } from './validators.ts';
import type { DrainState } from './routes/health.ts';

export const BODY_LIMIT_BYTES = 1_048_576;

/** Per-request lines at info would drown the run log: HTTP logs warnings and errors, never more than the configured level. */
function httpLogger(base: Logger): Logger {
  const quiet = ['fatal', 'error', 'silent'].includes(base.level) ? base.level : 'warn';
  return base.child({ component: 'http' }, { level: quiet });
}

export interface BuildAppOptions {
  services: Services;
  logger: Logger;
  drain?: DrainState;
}

/** The standalone HTTP server: nightshift's plugin plus OpenAPI at /openapi.json and its UI at /docs. */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: httpLogger(options.logger),
    bodyLimit: BODY_LIMIT_BYTES,
    // Above the id schemas' own limits, so an over-long id gets our validation error, not Fastify's.
    routerOptions: { maxParamLength: 500 },
    frameworkErrors: (error, _request, reply) => {
      void (reply as unknown as FastifyReply).status(400).send({ error: { code: 'NS_VALIDATION', message: `url: ${error.message}; check the path and its percent-encoding`, field: 'url' } });
    },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Only JSON bodies: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  installErrorHandler(app as unknown as FastifyInstance);
  installNotFoundHandler(app as unknown as FastifyInstance);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'nightshift',
        version: '0.1.0',
        description: `Continuous training: schedules, runs, history. Errors: ${Object.keys(ERROR_CODES).join(', ')} (see docs/errors.md).`,
      },
      tags: [
        { name: 'ops', description: 'health and metrics' },
        { name: 'tenants' },
        { name: 'jobs' },
        { name: 'schedules' },
        { name: 'runs' },
        { name: 'datasets', description: 'tenant datasets and sample ingest' },
        { name: 'seed-compatible', description: 'endpoints with the shapes of the in-house systems nightshift replaces' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const metrics = new EngineMetrics(options.services);
  app.addHook('onClose', async () => metrics.close());
  await app.register(nightshiftPlugin, { services: options.services, drain: options.drain ?? { draining: false }, metrics });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app as unknown as FastifyInstance;
}
