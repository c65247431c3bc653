/**
 * Per-tenant request budgets by route class (access.ts names each route's: train, ingest, predict):
 * fixed windows, x-ratelimit-* headers on every counted answer, 429 NS_RATE_LIMITED with
 * Retry-After past the budget. The counters are the RateLimitService's: shared by every node on
 * PostgreSQL, this process's own on SQLite.
 *
 * A route-level preHandler of our own rather than @fastify/rate-limit: the plugin's handler is
 * async and awaits the key, the store and its own result (four promises per request, each paying
 * the request context's async hooks) even when the count is answered in place, as it is on SQLite.
 * Here a request counted in place costs no promise; on PostgreSQL it waits for the shared counter.
 * Headers, status and Retry-After are the plugin's, as its default options wrote them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Clock } from '../clock.ts';
import type { AuthSettings, RateClass } from '../config/types.ts';
import { NsError } from '../errors.ts';
import type { RateCount, RateLimitService } from '../services/rate-limit-service.ts';
import { formatDuration } from '../schedule/index.ts';

/** The tenant a request's budget is counted under: the one authorization checked, else the caller's only one. */
function tenantOf(request: FastifyRequest): string {
  const p = request.principal;
  return request.nsTenant ?? (p && p.tenants !== '*' && p.tenants.length === 1 ? p.tenants[0]! : '*');
}

export interface RateLimitOptions {
  auth: AuthSettings;
  clock: Clock;
  counters: RateLimitService;
}

interface Budget {
  rate: RateClass;
  max: number;
  windowMs: number;
}

/** Writes the budget's headers; the 429 error past it (Retry-After set), else null. */
function verdict(request: FastifyRequest, reply: FastifyReply, budget: Budget, counted: RateCount, now: number): NsError | null {
  const ttlSeconds = Math.ceil(Math.max(0, counted.resetAt - now) / 1000);
  reply.header('x-ratelimit-limit', budget.max);
  reply.header('x-ratelimit-remaining', Math.max(0, budget.max - counted.count));
  reply.header('x-ratelimit-reset', ttlSeconds);
  if (counted.count <= budget.max) return null;
  reply.header('retry-after', ttlSeconds);
  return new NsError('NS_RATE_LIMITED', `tenant "${tenantOf(request)}" has used its ${budget.max} ${budget.rate} requests for this window; retry in ${formatDuration(ttlSeconds * 1000)}`, {
    field: 'tenant',
    details: { max: budget.max, retryAfterSeconds: ttlSeconds },
  });
}

/** The hook counting one request against `budget` (after authorization: the tenant is known by then). */
function limiter(budget: Budget, o: RateLimitOptions): preHandlerHookHandler {
  return function rateLimited(request, reply, done) {
    const key = `${budget.rate}:${tenantOf(request)}`;
    const inPlace = o.counters.countNow(key, budget.windowMs);
    if (inPlace) {
      const error = verdict(request, reply, budget, inPlace, o.clock.now());
      return error ? done(error) : done();
    }
    o.counters.count(key, budget.windowMs).then(
      (counted) => {
        const error = verdict(request, reply, budget, counted, o.clock.now());
        return error ? done(error) : done();
      },
      (error: Error) => done(error),
    );
  };
}

/**
 * Gives each route with a class its budget. Call before the routes are registered, after the
 * access control (its onRoute hook attaches the rule this one reads). The hook is the route's own
 * preHandler, after the instance's: authorization (preValidation) has named the tenant by then.
 */
export function installRateLimits(fastify: FastifyInstance, o: RateLimitOptions): void {
  const limits = o.auth.rateLimits;
  fastify.addHook('onRoute', (route) => {
    const rate = route.config?.access?.rate;
    if (!rate) return;
    const hook = limiter({ rate, max: limits[rate], windowMs: limits.windowMs }, o);
    const existing = route.preHandler;
    route.preHandler = existing === undefined ? [hook] : [...[existing].flat(), hook];
  });
}
