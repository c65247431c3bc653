/**
 * Per-tenant request budgets by route class (access.ts names each route's: train, ingest, predict),
 * with @fastify/rate-limit: fixed windows, 429 NS_RATE_LIMITED with Retry-After past the budget.
 * The counters are the RateLimitService's: shared by every node on PostgreSQL.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.ts';
import type { AuthSettings } from '../config/types.ts';
import { NsError } from '../errors.ts';
import type { RateLimitService } from '../services/rate-limit-service.ts';

type Incr = (key: string, cb: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number, max: number) => void;

/** @fastify/rate-limit's store interface over the service's counters. */
function storeOver(counters: RateLimitService, clock: Clock): { incr: Incr; child(): unknown } {
  const store = {
    incr: ((key, cb, timeWindow) => {
      const now = counters.countNow(key, timeWindow);
      if (now) return cb(null, { current: now.count, ttl: Math.max(0, now.resetAt - clock.now()) });
      counters.count(key, timeWindow).then(
        ({ count, resetAt }) => cb(null, { current: count, ttl: Math.max(0, resetAt - clock.now()) }),
        (error: Error) => cb(error),
      );
    }) as Incr,
    child: () => store,
  };
  return store;
}

/** The key a request's budget is counted under: its route class and its tenant. */
function keyOf(request: FastifyRequest): string {
  const rate = request.routeOptions.config.access?.rate ?? 'none';
  const p = request.principal;
  const tenant = request.nsTenant ?? (p && p.tenants !== '*' && p.tenants.length === 1 ? p.tenants[0]! : '*');
  return `${rate}:${tenant}`;
}

export interface RateLimitOptions {
  auth: AuthSettings;
  clock: Clock;
  counters: RateLimitService;
}

/**
 * Registers the limiter and gives each route with a class its budget. Call before the routes are
 * registered, after the access control (its onRoute hook attaches the rule this one reads).
 */
export async function installRateLimits(fastify: FastifyInstance, o: RateLimitOptions): Promise<void> {
  const limits = o.auth.rateLimits;
  const store = storeOver(o.counters, o.clock);
  fastify.addHook('onRoute', (route) => {
    const rate = route.config?.access?.rate;
    if (rate) route.config = { ...route.config, rateLimit: { max: limits[rate], timeWindow: limits.windowMs } };
  });
  // The plugin builds a store with `new`: a function returning our object serves as the class.
  function Store(): unknown {
    return store;
  }
  await fastify.register(rateLimit, {
    global: false,
    // After authorization (preValidation), so the tenant the request acts for is known.
    hook: 'preHandler',
    store: Store as unknown as never,
    keyGenerator: keyOf,
    errorResponseBuilder: (request, context) =>
      new NsError('NS_RATE_LIMITED', `tenant "${keyOf(request).split(':')[1]}" has used its ${context.max} ${request.routeOptions.config.access?.rate ?? ''} requests for this window; retry in ${context.after}`, {
        field: 'tenant',
        details: { max: context.max, retryAfterSeconds: Math.ceil(context.ttl / 1000) },
      }),
  });
}
