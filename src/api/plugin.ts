import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Services } from '../services/services.ts';
import { actorEntry, requestActor } from '../audit/actor.ts';
import { mergeEntries, runWithEntries } from '../context-store.ts';
import { logFieldsEntry } from '../log-context.ts';
import { installJsonBodyParser } from './json-body.ts';
import { NsError } from '../errors.ts';
import { EngineMetrics } from '../monitor/metrics.ts';
import { installErrorHandler, installNotFoundHandler } from './error-handler.ts';
import { Authenticator } from '../auth/authenticator.ts';
import { installAccessControl } from './authorization.ts';
import { registerOpenApi } from './openapi.ts';
import { installRateLimits } from './rate-limit.ts';
import { keyRoutes } from './routes/keys.ts';
import { datasetRoutes } from './routes/datasets.ts';
import { healthRoutes, type DrainState } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { modelRoutes } from './routes/models.ts';
import { assessmentRoutes } from './routes/assessments.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { alertRoutes } from './routes/alerts.ts';
import { auditRoutes } from './routes/audit.ts';
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
  /**
   * Serve the OpenAPI document at /openapi.json and its UI at /docs (under the plugin's prefix).
   * Default: yes, unless the host app registered @fastify/swagger before: nightshift's routes are
   * then in the host's own document, and nothing else is added to its paths.
   */
  openapi?: boolean;
  /**
   * Authentication (default: the settings' NIGHTSHIFT_AUTH). `off` makes every caller the local
   * super admin: only for a server on a loopback address (server.ts refuses any other).
   */
  auth?: 'on' | 'off';
  /**
   * Name each response's request in x-request-id (default: yes). buildApp says no: it sets the header
   * on every route of its server already, and a second hook per request would only set it again.
   */
  requestIdHeader?: boolean;
}

/** The NS_ 404 for nightshift's paths only: the plugin's prefix when it has one, else /api. */
async function notFoundScope(fastify: FastifyInstance): Promise<void> {
  if (fastify.prefix) installNotFoundHandler(fastify);
  else await fastify.register(async (scope) => installNotFoundHandler(scope), { prefix: '/api' });
}

/**
 * Every nightshift route as one Fastify plugin, so a user mounts nightshift inside their own
 * service. Encapsulated on purpose: strict body validation, JSON-only bodies, the NS_ error
 * handler and the NS_ 404 apply to nightshift's routes and paths, never to the host's own.
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
  // PostgreSQL text cannot hold U+0000 (SQLite can): a query value with one is refused as bad input
  // on every store, naming the parameter, instead of failing in the store (found by the route fuzzer).
  // Synchronous, and nothing to do for a request without a query: no promise per request.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    if (!query || !request.url.includes('?')) return done();
    const field = Object.keys(query).find((k) => k.includes('\u0000') || [query[k]].flat().some((v) => typeof v === 'string' && v.includes('\u0000')));
    if (field !== undefined) return done(new NsError('NS_VALIDATION', `${field.replaceAll('\u0000', '\\0')}: contains a NUL character (U+0000), which no value may hold; remove it`, { field }));
    done();
  });
  fastify.removeContentTypeParser('text/plain');
  installJsonBodyParser(fastify);
  installErrorHandler(fastify);
  // Before any route: each is checked against the access table as it is registered.
  const authMode = options.auth ?? services.settings.auth.mode;
  installAccessControl(fastify, authMode === 'off' ? null : { authenticator: new Authenticator(services.settings.auth, services.keys, services.clock) });
  installRateLimits(fastify, { auth: services.settings.auth, clock: services.clock, counters: services.rateLimits });
  // Each response names its request (the host's request id when mounted in a host app), and
  // what a request changes is logged with that id (log-context.ts).
  if (options.requestIdHeader ?? true) {
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id);
      done();
    });
  }
  // Authentication (src/auth) has put the caller on the request by now: the services' audit entries name it.
  fastify.addHook('preHandler', (request, _reply, done) => runWithEntries(mergeEntries(logFieldsEntry({ reqId: request.id }), actorEntry(requestActor(request))), done));
  await notFoundScope(fastify);
  const hostHasSwagger = fastify.hasDecorator('swagger');
  if (options.openapi ?? !hostHasSwagger) {
    await registerOpenApi(fastify, { decorator: hostHasSwagger ? 'nightshiftSwagger' : 'swagger', ui: !fastify.hasDecorator('swaggerCSP') });
  }
  healthRoutes(app, services.health, options.drain ?? { draining: false }, metrics);
  tenantRoutes(app, services.tenants);
  jobRoutes(app, services);
  scheduleRoutes(app, services);
  runRoutes(app, services);
  datasetRoutes(app, services.data);
  modelRoutes(app, services.models, services.series);
  assessmentRoutes(app, services.models);
  notificationRoutes(app, services.notifications);
  alertRoutes(app, services);
  auditRoutes(app, services.audit);
  seedRoutes(app, services);
  keyRoutes(app, services.keys);
};
