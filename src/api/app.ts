import type { IncomingMessage } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Services } from '../services/services.ts';
import { newId } from '../ids.ts';
import { EngineMetrics } from '../monitor/metrics.ts';
import { defaultDashboardDir, registerDashboard } from './dashboard.ts';
import { installErrorHandler, installNotFoundHandler } from './error-handler.ts';
import { nightshiftPlugin } from './plugin.ts';
import { securityHeaders } from './security-headers.ts';
import { validatorCompiler } from './validators.ts';
import type { DrainState } from './routes/health.ts';

export const BODY_LIMIT_BYTES = 1_048_576;

/** An id a caller (or a proxy in front) sent in x-request-id is kept when it is a plain token. */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's x-request-id when it is a plain token, else a new id: time-ordered with 48 random
 * bits (`req_…`, ids.ts), so ids never repeat across restarts as Fastify's own counter does.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && CALLER_REQUEST_ID.test(given) ? given : newId('req');
}

/**
 * One access line per request, written when the response is done: method, url (with its query),
 * status and duration, at info (warn for a 5xx), instead of Fastify's "incoming request" and
 * "request completed" pair. The line carries the request id (reqId) as every line of the request.
 */
class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { method: request.method, url: request.url, statusCode: reply.statusCode, durationMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (error || reply.statusCode >= 500) reply.log.warn({ ...fields, ...(error ? { err: error } : {}) }, 'request completed');
    else reply.log.info(fields, 'request completed');
  }
}

export interface BuildAppOptions {
  services: Services;
  logger: Logger;
  drain?: DrainState;
  /** The built dashboard to serve at `/` (default: dist/ui when it was built; false: none). */
  dashboardDir?: string | false;
  /** Authentication (default: the settings' NIGHTSHIFT_AUTH), as nightshiftPlugin takes it. */
  auth?: 'on' | 'off';
}

/**
 * The standalone HTTP server: nightshift's plugin (with OpenAPI at /openapi.json and its UI at
 * /docs), the dashboard at / (when built), the NS_ 404 for every unknown path, and one access log line per request.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'http' }),
    logController: new AccessLog(),
    genReqId: requestId,
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
  // Every answer names its request and carries the security headers (helmet's, computed once:
  // security-headers.ts). One synchronous hook: no promise per request. Set as Fastify's reply
  // headers, not on the raw response: Node then takes them all in writeHead at once, where each
  // setHeader on the raw response stored (and checked) the header again before writeHead did.
  const headers = Object.fromEntries(await securityHeaders()) as Record<string, string | string[]>;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    reply.headers(headers);
    done();
  });
  const metrics = new EngineMetrics(options.services);
  app.addHook('onClose', async () => metrics.close());
  await app.register(nightshiftPlugin, { services: options.services, drain: options.drain ?? { draining: false }, metrics, requestIdHeader: false, ...(options.auth ? { auth: options.auth } : {}) });
  const dashboard = options.dashboardDir === undefined ? defaultDashboardDir() : options.dashboardDir;
  if (dashboard) await registerDashboard(app as unknown as FastifyInstance, dashboard);
  return app as unknown as FastifyInstance;
}
