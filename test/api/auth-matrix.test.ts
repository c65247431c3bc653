/**
 * The access matrix: every route the server registers × every kind of caller → the status the access
 * table (src/api/access.ts) implies. Routes are enumerated from the server itself, so a route added
 * without a rule fails here (and the server refuses to start: the last test).
 *
 * Callers: no token, a malformed one, an expired JWT, an `alg: none` JWT, a JWT signed with the wrong
 * key (401 each, with its stable code); a viewer, an operator and an admin of tenant acme, an admin
 * of tenant globex (the other tenant) and a super admin. Every request names tenant acme wherever the
 * route takes a tenant, so the globex admin must get the 404 of a tenant that does not exist, byte
 * for byte (its id aside), on every tenant-scoped route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type InjectOptions } from 'fastify';
import { ACCESS, accessKey, roleAtLeast, type AccessRule } from '../../src/api/access.ts';
import { installAccessControl } from '../../src/api/authorization.ts';
import type { Role } from '../../src/auth/principal.ts';
import { nightshiftRoutes, schemaProperties, type RouteInfo, type TestApi } from '../helpers/api.ts';
import { bearer, hsToken, openAuthApi, OTHER_SECRET, unsignedToken } from '../helpers/auth.ts';

const OWN = 'acme';
const MISSING = 'no-such-tenant';

interface Caller {
  name: string;
  headers: () => Promise<Record<string, string>>;
  /** null: not authenticated, with the code expected. */
  role: Role | null;
  code?: string;
  tenant?: string;
}

/** A request for the route: every tenant named as `tenant`, other parameters filled with plausible ids. */
function requestFor(route: RouteInfo, rule: AccessRule, tenant: string): InjectOptions {
  const field = rule.field ?? 'tenantId';
  const params = schemaProperties(route.schema.params);
  let url = route.url.replace('/*', '/index.css');
  for (const name of Object.keys(params)) {
    const value = rule.tenant === 'path' && name === field ? tenant : name === 'version' ? '1' : name === 'id' && route.url.startsWith('/api/keys') ? 'key_0000000000000000000000'.slice(0, 25) : 'x1';
    url = url.replace(`:${name}`, value);
  }
  const query = rule.tenant === 'query' ? `?${field}=${tenant}` : '';
  const takesBody = route.schema.body !== undefined || ['POST', 'PUT'].includes(route.method);
  const payload = rule.tenant === 'body' ? { [field]: tenant } : {};
  return { method: route.method as InjectOptions['method'], url: `${url}${query}`, ...(takesBody ? { payload } : {}) };
}

describe('access matrix: every route × every caller', () => {
  let t: TestApi;
  let routes: RouteInfo[];
  const callers: Caller[] = [];

  before(async () => {
    t = await openAuthApi();
    routes = await nightshiftRoutes(t.engine);
    const now = t.clock.now();
    const key = async (tenant: string, role: Role) => (await t.engine.keys.create({ tenant, role, createdBy: 'test' })).token;
    const operatorKey = await key(OWN, 'operator');
    const adminKey = await key(OWN, 'admin');
    callers.push(
      { name: 'no token', headers: async () => ({}), role: null, code: 'NS_UNAUTHENTICATED' },
      { name: 'malformed', headers: async () => ({ authorization: 'Bearer not/a.token' }), role: null, code: 'NS_AUTH_MALFORMED' },
      { name: 'expired', headers: async () => bearer(await hsToken(now, { sub: 'u', role: 'super_admin' }, { expSeconds: -60 })), role: null, code: 'NS_AUTH_EXPIRED' },
      { name: 'alg:none', headers: async () => bearer(unsignedToken(now, { sub: 'u', role: 'super_admin' })), role: null, code: 'NS_AUTH_ALGORITHM' },
      { name: 'wrong key', headers: async () => bearer(await hsToken(now, { sub: 'u', role: 'super_admin' }, { secret: OTHER_SECRET })), role: null, code: 'NS_AUTH_SIGNATURE' },
      { name: 'viewer (JWT)', headers: async () => bearer(await hsToken(now, { sub: 'vera', role: 'viewer', tenant: OWN })), role: 'viewer', tenant: OWN },
      { name: 'operator (API key)', headers: async () => bearer(operatorKey), role: 'operator', tenant: OWN },
      { name: 'admin of another tenant (JWT)', headers: async () => bearer(await hsToken(now, { sub: 'gus', role: 'admin', tenant: ['globex'] })), role: 'admin', tenant: 'globex' },
      { name: 'admin (API key)', headers: async () => bearer(adminKey), role: 'admin', tenant: OWN },
      { name: 'super_admin (JWT)', headers: async () => bearer(await hsToken(now, { sub: 'root', role: 'super_admin' })), role: 'super_admin' },
    );
  });
  after(() => t.close());

  test('the server registers routes, and every one has exactly one rule; the table has no rule for a route that is gone', () => {
    assert.ok(routes.length >= 50, `routes found: ${routes.length}`);
    const registered = new Set(routes.map((r) => accessKey(r.method, r.url.length > 1 ? r.url.replace(/\/$/, '') : r.url)));
    const missing = [...registered].filter((k) => !(k in ACCESS));
    assert.deepEqual(missing, [], 'routes without a rule in src/api/access.ts');
    const stale = Object.keys(ACCESS).filter((k) => !registered.has(k));
    assert.deepEqual(stale, [], 'rules in src/api/access.ts for routes the server does not register');
  });

  test('the table itself: a route that names a tenant is scoped to it, writes need an operator at least, system routes a super admin', () => {
    const TENANT_FIELDS = ['tenantId', 'organizationId', 'user_id', 'tenant'];
    const problems: string[] = [];
    for (const route of routes) {
      const rule = ACCESS[accessKey(route.method, route.url.length > 1 ? route.url.replace(/\/$/, '') : route.url)]!;
      const named = [route.schema.params, route.schema.querystring, route.schema.body].flatMap((part) => Object.keys(schemaProperties(part))).filter((f) => TENANT_FIELDS.includes(f));
      if (named.length > 0 && rule.tenant === 'none' && rule.role !== 'super_admin') problems.push(`${route.method} ${route.url} names a tenant (${named.join(', ')}) but is not scoped to the caller's`);
      if (route.method !== 'GET' && rule.role !== 'public' && roleAtLeast('viewer', rule.role)) problems.push(`${route.method} ${route.url} changes state but a viewer may call it`);
      if (route.method !== 'GET' && rule.role === 'public') problems.push(`${route.method} ${route.url} changes state without credentials`);
    }
    for (const system of ['POST /api/tenants', 'DELETE /api/tenants/:id', 'GET /metrics', 'GET /health']) assert.equal(ACCESS[system]?.role, 'super_admin', system);
    for (const operatorRoute of ['GET /api/runs', 'GET /api/schedules', 'GET /api/jobs', 'GET /api/models']) assert.equal(ACCESS[operatorRoute]?.tenant, 'query', `${operatorRoute} scopes to the caller's tenant`);
    assert.deepEqual(problems, []);
  });

  test('every route × every caller answers as the access table says', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const rule = ACCESS[accessKey(route.method, route.url.length > 1 ? route.url.replace(/\/$/, '') : route.url)]!;
      for (const caller of callers) {
        const headers = await caller.headers();
        const request = requestFor(route, rule, OWN);
        const res = await t.app.inject({ ...request, headers: { ...headers, ...(request.payload !== undefined ? { 'content-type': 'application/json' } : {}) } });
        const what = `${route.method} ${route.url} as ${caller.name}: ${res.statusCode} ${res.body.slice(0, 200)}`;
        checked++;
        const code = res.statusCode >= 400 ? (JSON.parse(res.body) as { error?: { code?: string } }).error?.code : undefined;
        if (rule.role === 'public') {
          if (res.statusCode === 401 || res.statusCode === 403) failures.push(`public route refused: ${what}`);
          continue;
        }
        if (caller.role === null) {
          if (res.statusCode !== 401 || code !== caller.code) failures.push(`expected 401 ${caller.code}: ${what}`);
          continue;
        }
        if (!roleAtLeast(caller.role, rule.role)) {
          if (res.statusCode !== 403 || code !== 'NS_FORBIDDEN') failures.push(`expected 403 NS_FORBIDDEN: ${what}`);
          continue;
        }
        const foreign = caller.tenant !== undefined && caller.tenant !== OWN && rule.tenant !== 'none';
        if (foreign) {
          // Exactly the answer for a tenant that does not exist, its id aside.
          const missing = await t.app.inject({ ...requestFor(route, rule, MISSING), headers: { ...headers, ...(request.payload !== undefined ? { 'content-type': 'application/json' } : {}) } });
          if (res.statusCode !== 404 || res.body.replaceAll(`"${OWN}"`, `"${MISSING}"`).replaceAll(`\\"${OWN}\\"`, `\\"${MISSING}\\"`) !== missing.body || missing.statusCode !== 404) {
            failures.push(`expected the 404 of a missing tenant (${missing.statusCode} ${missing.body.slice(0, 200)}): ${what}`);
          }
          continue;
        }
        if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode >= 500) failures.push(`expected to be let through: ${what}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked >= routes.length * callers.length);
  });

  test('a route added without a rule stops the server from starting, naming the table', async () => {
    const app = Fastify();
    installAccessControl(app, null);
    assert.throws(() => app.get('/api/brand-new', async () => ({})), /GET \/api\/brand-new has no entry in the access table \(src\/api\/access\.ts\)/);
    await app.close().catch(() => undefined);
  });
});
