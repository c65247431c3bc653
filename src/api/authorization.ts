/**
 * Access control for nightshift's routes, from the one table (access.ts):
 * - at registration, a route without an entry stops the server from starting;
 * - onRequest: the credential → request.principal (401 with a stable code), then the route's least
 *   role (403);
 * - preValidation: the route's tenant must be one of the caller's, else 404 exactly as for a tenant
 *   that does not exist; a query or body that names none gets the caller's own.
 * With authentication off every request is the local super admin (loopback only, server.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import { LOCAL_PRINCIPAL, type Authenticator } from '../auth/authenticator.ts';
import type { Principal, Role } from '../auth/principal.ts';
import { NsError } from '../errors.ts';
import { ACCESS, accessKey, roleAtLeast, type AccessRule } from './access.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's entry of the access table, attached at registration. */
    access?: AccessRule;
  }
  interface FastifyRequest {
    /** The tenant the request acts for, once authorization has checked it (rate limits count per tenant). */
    nsTenant?: string;
  }
}

/** Routes that take no body: anything sent is refused past this size instead of being read. */
export const BODYLESS_LIMIT_BYTES = 16_384;

/** `null`: authentication is off. */
export type AccessMode = { authenticator: Authenticator } | null;

/** The access table's rule of a route as registered, without the prefix nightshift is mounted at. */
export function ruleOf(route: Pick<RouteOptions, 'method' | 'url'>, mountedAt = ''): AccessRule | undefined {
  const full = mountedAt && route.url.startsWith(mountedAt) ? route.url.slice(mountedAt.length) || '/' : route.url;
  // A trailing slash is the same route (the docs UI registers both /docs and /docs/).
  const url = full.length > 1 && full.endsWith('/') ? full.slice(0, -1) : full;
  const methods = [route.method].flat().map((m) => (m === 'HEAD' ? 'GET' : m));
  const rules = methods.map((m) => ACCESS[accessKey(m, url)]);
  return rules.every((x) => x !== undefined) ? rules[0] : undefined;
}

export function installAccessControl(fastify: FastifyInstance, mode: AccessMode): void {
  const mountedAt = fastify.prefix;
  fastify.addHook('onRoute', (route) => {
    const rule = ruleOf(route, mountedAt);
    if (!rule) {
      throw new Error(`route ${[route.method].flat().join(',')} ${route.url} has no entry in the access table (src/api/access.ts): add one saying who may call it`);
    }
    route.config = { ...(route.config ?? {}), access: rule };
    // The OpenAPI document says so: the probes and the docs take no credentials.
    if (rule.role === 'public') route.schema = { ...(route.schema ?? {}), security: [] } as typeof route.schema;
    if (route.schema?.body === undefined && route.bodyLimit === undefined) route.bodyLimit = BODYLESS_LIMIT_BYTES;
  });

  // Synchronous hooks where nothing is awaited (no promise per request on the predict path).
  fastify.addHook('onRequest', (request, reply, done) => {
    const rule = request.routeOptions.config.access;
    if (!rule || rule.role === 'public') return done();
    if (mode === null) {
      request.principal = LOCAL_PRINCIPAL;
      return done();
    }
    const needed = rule.role;
    let known: Principal | undefined;
    try {
      known = mode.authenticator.authenticateNow(request.headers.authorization);
    } catch (error) {
      return refuse(reply, done, error);
    }
    if (known) return admit(request, done, known, needed);
    mode.authenticator.authenticate(request.headers.authorization).then(
      (principal) => admit(request, done, principal, needed),
      (error: unknown) => refuse(reply, done, error),
    );
  });

  fastify.addHook('preValidation', (request, _reply, done) => {
    const rule = request.routeOptions.config.access;
    const principal = request.principal;
    if (!rule || !principal || rule.tenant === 'none') return done();
    try {
      scopeToCaller(request, rule, principal);
    } catch (error) {
      return done(error as Error);
    }
    done();
  });
}

/** The caller on the request, if its role is enough for the route (else 403). Module functions, not closures: nothing made per request. */
function admit(request: FastifyRequest, done: HookHandlerDoneFunction, principal: Principal, needed: Role): void {
  request.principal = principal;
  if (!roleAtLeast(principal.role, needed)) {
    return done(
      new NsError('NS_FORBIDDEN', `${request.method} ${request.routeOptions.url} needs the ${needed} role or above; this credential is ${principal.role}`, {
        field: 'authorization',
        details: { required: needed, role: principal.role },
      }),
    );
  }
  done();
}

function refuse(reply: FastifyReply, done: HookHandlerDoneFunction, error: unknown): void {
  if (error instanceof NsError) reply.header('www-authenticate', `Bearer error="invalid_token", error_description="${error.code}"`);
  done(error as Error);
}

/** The tenant the caller named, checked against its own; filled with its own when it named none. */
function scopeToCaller(request: FastifyRequest, rule: AccessRule, principal: Principal): void {
  const field = rule.field ?? 'tenantId';
  let holder = (rule.tenant === 'path' ? request.params : rule.tenant === 'query' ? request.query : request.body) as Record<string, unknown> | undefined | null;
  const given = holder && typeof holder === 'object' && !Array.isArray(holder) ? holder[field] : undefined;
  if (given !== undefined && given !== null && typeof given !== 'string') {
    throw new NsError('NS_VALIDATION', `${field}: must be one tenant id`, { field });
  }
  if (principal.tenants === '*') {
    if (typeof given === 'string') request.nsTenant = given;
    return;
  }
  if (given === undefined || given === null || given === '') {
    if (principal.tenants.length !== 1) {
      throw new NsError('NS_VALIDATION', `${field}: required: this credential acts for several tenants (${principal.tenants.join(', ')}); name one`, { field });
    }
    const own = principal.tenants[0]!;
    if (rule.tenant === 'body' && (holder === undefined || holder === null)) request.body = holder = {};
    // A body that is not an object is the schema's to refuse, with its own message.
    if (holder && typeof holder === 'object' && !Array.isArray(holder)) holder[field] = own;
    request.nsTenant = own;
    return;
  }
  if (!principal.tenants.includes(given)) throw tenantNotFound(given, rule.tenant === 'path' ? 'tenant' : field, rule.tenant === 'path');
  request.nsTenant = given;
}

/**
 * What a tenant the caller may not see answers: the words TenantService.require uses for one that
 * does not exist, so the answer tells nothing about whether it does.
 */
function tenantNotFound(id: string, field: string, inPath: boolean): NsError {
  return new NsError('NS_NOT_FOUND', inPath ? `tenant "${id}" does not exist` : `${field}: tenant "${id}" does not exist`, { field, details: { id } });
}
