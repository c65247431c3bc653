/**
 * Bad input never stores anything, and never breaks a list: bad values (out-of-range durations and
 * dates, unknown zones, bad ids, wrong types, unknown fields) are driven over every mutating route of
 * Fastify's route table. Each is refused with a 4xx and an NS_ code, and afterwards every list
 * route (the operator's, the tenant-scoped ones and the seeds' GET routes) still answers 200.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { assertError, nightshiftRoutes, openTestApi, schemaProperties, type RouteInfo, type TestApi } from '../helpers/api.ts';
import { fillUrl, routeSettings, routeUrl, VALID_REQUESTS } from '../fixtures/api/route-requests.ts';

const MUTATING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** Bad values by field name; fields not named here get a value of the wrong type. */
const BAD_VALUES: Record<string, unknown[]> = {
  every: ['99999999d', 2 ** 53, '400d', '0s', '-5m', 'soon'],
  jitter: ['99999999d', '2d', 2 ** 53, 'soon'],
  misfireGrace: ['99999999d', '400d', 2 ** 53, -1],
  at: ['9999-12-31T23:59:59Z', '2030-01-01T00:00:00Z', 'tomorrow'],
  timezone: ['Mars/Olympus_Mons', '', 'UTC+25'],
  cron: ['0 25 * * *', '* *'],
  pattern: ['0 25 * * *'],
  id: ["' OR 1=1--", 'UPPER'],
  tenantId: ["' OR 1=1--", 'ghost-tenant'],
  organizationId: ["' OR 1=1--"],
  user_id: ["' OR 1=1--"],
  jobId: ["' OR 1=1--", 'ghost-job'],
  dataRangeDays: [0, 1e9],
  catchUpMax: [0, 1e9],
  targetVersion: [0],
  version: [0],
  threshold: [2],
};

function wrongType(valid: unknown): unknown {
  if (typeof valid === 'string') return { not: 'a string' };
  if (typeof valid === 'number') return 'not a number';
  if (typeof valid === 'boolean') return 'yes';
  if (Array.isArray(valid)) return 'not a list';
  if (valid === null) return 'not null';
  return 42;
}

/** Bad values of a path parameter: outside the id rule, or (names, versions) outside their own rules. */
const BAD_PARAMS: Record<string, string[]> = { model: ["' OR 1=1--", 'Failure'], version: ['0', 'v1'] };

/** Bad requests for one route: one bad field at a time in an otherwise valid request, and an unknown field. */
function badRequests(route: RouteInfo): Array<{ what: string; request: InjectOptions }> {
  const valid = VALID_REQUESTS[`${route.method} ${route.url}`] ?? {};
  const out: Array<{ what: string; request: InjectOptions }> = [];
  const request = (url: string, payload: unknown): InjectOptions => ({
    method: route.method as 'POST',
    url,
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': valid.contentType ?? 'application/json' } } : {}),
  });
  const url = routeUrl(route.method, route.url);
  for (const name of Object.keys(schemaProperties(route.schema.params))) {
    for (const bad of BAD_PARAMS[name] ?? ["' OR 1=1--", 'UPPER']) {
      out.push({ what: `params.${name}=${bad}`, request: request(routeUrl(route.method, route.url, { [name]: bad }), valid.body) });
    }
  }
  for (const name of Object.keys(schemaProperties(route.schema.querystring))) {
    const bads = name === 'force' ? ['maybe'] : (BAD_VALUES[name] ?? ['x'.repeat(300)]);
    for (const bad of bads) out.push({ what: `query.${name}=${String(bad)}`, request: request(routeUrl(route.method, route.url, {}, { ...valid.query, [name]: String(bad) }), valid.body) });
  }
  out.push({ what: 'query.unknown', request: request(routeUrl(route.method, route.url, {}, { ...valid.query, bogus: '1' }), valid.body) });
  if (valid.body !== undefined && typeof valid.body === 'object' && valid.body !== null) {
    const body = valid.body as Record<string, unknown>;
    for (const [name, value] of Object.entries(body)) {
      for (const bad of [...(BAD_VALUES[name] ?? []), wrongType(value)]) out.push({ what: `body.${name}=${JSON.stringify(bad)}`, request: request(url, { ...body, [name]: bad }) });
    }
    out.push({ what: 'body.unknown', request: request(url, { ...body, bogus: 1 }) });
    out.push({ what: 'body not an object', request: request(url, [body]) });
  }
  return out;
}

describe('rejected inputs on every mutating route leave every list answering', () => {
  let t: TestApi;
  let routes: RouteInfo[];
  before(async () => {
    t = await openTestApi(routeSettings());
    routes = await nightshiftRoutes(t.engine);
    // A tenant created over the API (x1), for the routes that change or delete one.
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'x1' } })).statusCode, 201);
  });
  after(async () => {
    await t.close();
  });

  /** Every GET route that lists (no path parameter but the tenant's), with the tenant named where the route takes it. */
  const listRequests = () =>
    routes
      .filter((r) => r.method === 'GET' && r.url.startsWith('/api/') && !/:(?!tenantId\b)/.test(r.url))
      .flatMap((r) => {
        const query = schemaProperties(r.schema.querystring);
        const tenantField = ['tenantId', 'organizationId'].find((f) => f in query);
        const url = fillUrl(r.url);
        const named = tenantField ? [`${url}?${tenantField}=acme`, `${url}?${tenantField}=globex`] : [];
        // The seeds' routes need their tenant named when there are several; the operator's list all tenants without one.
        const seed = ((r.schema as { tags?: string[] }).tags ?? []).includes('seed-compatible');
        return seed ? named : [url, ...named];
      });

  const assertListsAnswer = async (after: string) => {
    const urls = listRequests();
    for (const url of urls) {
      const res = await t.app.inject({ url });
      assert.equal(res.statusCode, 200, `after ${after}: GET ${url} answered ${res.statusCode} ${res.body.slice(0, 300)}`);
    }
    return urls;
  };

  test('the route table names every mutating route, and the table of valid requests covers them all', () => {
    const mutating = routes.filter((r) => MUTATING.has(r.method)).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual([...mutating].sort(), Object.keys(VALID_REQUESTS).sort());
    for (const r of routes) assert.ok(t.app.hasRoute({ method: r.method as 'GET', url: r.url }), `${r.method} ${r.url} is served by the standalone app`);
  });

  test('every list route answers 200 to begin with', async () => {
    const urls = await assertListsAnswer('nothing');
    for (const expected of ['/api/schedules', '/api/jobs', '/api/runs', '/api/models', '/api/tenants', '/api/tenants/acme/datasets', '/api/tenants/acme/models', '/api/training/history?organizationId=acme', '/api/analysis/schedule?tenantId=acme']) {
      assert.ok(urls.includes(expected), `${expected} is among the list routes`);
    }
  });

  test('each bad request is refused with a 4xx NS_ error; afterwards every list route answers 200', async () => {
    let sent = 0;
    for (const route of routes.filter((r) => MUTATING.has(r.method))) {
      const key = `${route.method} ${route.url}`;
      for (const { what, request } of badRequests(route)) {
        const res = await t.app.inject(request);
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${key} ${what}: answered ${res.statusCode} ${res.body.slice(0, 300)}`);
        assertError(res, { status: res.statusCode, code: JSON.parse(res.body).error?.code });
        sent += 1;
      }
      await assertListsAnswer(key);
    }
    assert.ok(sent >= 200, `${sent} bad requests`);
  });
});
