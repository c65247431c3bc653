/**
 * One rule for ids on every route: each id field of every route (path parameters, query strings and
 * bodies, enumerated from Fastify's route table) refuses a value outside the id pattern of tenant and
 * job ids with 400 NS_VALIDATION naming that field, and nothing is stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ID_RULE } from '../../src/config/values.ts';
import { nightshiftRoutes, openTestApi, refused, schemaProperties, type RouteInfo, type TestApi } from '../helpers/api.ts';
import { routeSettings, routeUrl, VALID_REQUESTS } from '../fixtures/api/route-requests.ts';

/** Field names that hold the id of a tenant, job, schedule, run, dataset (or an organization or user: a tenant). */
const ID_FIELD = /^(id|[a-z]+Id|[a-z]+_id)$/;
const BAD_IDS = ["' OR 1=1--", 'ACME', '-leading-dash', 'x'.repeat(65), 'a b'];

describe('every id field of every route follows the id rule', () => {
  let t: TestApi;
  let routes: RouteInfo[];
  before(async () => {
    t = await openTestApi(routeSettings());
    routes = await nightshiftRoutes(t.engine);
  });
  after(async () => {
    await t.close();
  });

  test('the route table is read and has id fields in params, query strings and bodies', () => {
    const where = new Set<string>();
    for (const r of routes) {
      for (const part of ['params', 'querystring', 'body'] as const) {
        if (Object.keys(schemaProperties(r.schema[part])).some((k) => ID_FIELD.test(k))) where.add(part);
      }
    }
    assert.deepEqual([...where].sort(), ['body', 'params', 'querystring']);
    assert.ok(routes.length >= 40, `${routes.length} routes`);
  });

  test('each id field of each route: a bad id is 400 NS_VALIDATION naming the field, store unchanged', async () => {
    let checked = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const valid = VALID_REQUESTS[key] ?? {};
      const validBody = valid.body !== undefined && typeof valid.body === 'object' ? (valid.body as Record<string, unknown>) : undefined;
      const send = (url: string, payload: unknown) => {
        const hasBody = payload !== undefined;
        return {
          method: route.method as 'GET',
          url,
          ...(hasBody ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': valid.contentType ?? 'application/json' } } : {}),
        };
      };
      const parts: Array<['params' | 'querystring' | 'body', string]> = [];
      for (const part of ['params', 'querystring', 'body'] as const) {
        for (const field of Object.keys(schemaProperties(route.schema[part]))) if (ID_FIELD.test(field)) parts.push([part, field]);
      }
      for (const [part, field] of parts) {
        for (const bad of BAD_IDS) {
          const url =
            part === 'params'
              ? routeUrl(route.method, route.url, { [field]: bad })
              : part === 'querystring'
                ? routeUrl(route.method, route.url, {}, { ...valid.query, [field]: bad })
                : routeUrl(route.method, route.url);
          const payload = part === 'body' ? { ...validBody, [field]: bad } : valid.body;
          const where = `${key} ${part}.${field}=${JSON.stringify(bad)}`;
          const error = await refused(t, send(url, payload), { status: 400, code: 'NS_VALIDATION', field }).catch((e: Error) => {
            throw new Error(`${where}: ${e.message}`);
          });
          assert.match(error.message, new RegExp(`${field}.*(pattern|id)`), where);
          checked += 1;
        }
      }
    }
    assert.ok(checked >= 30 * BAD_IDS.length, `${checked} id fields checked`);
  });

  test('the id fields share one pattern: the tenant and job id rule', () => {
    for (const route of routes) {
      for (const part of ['params', 'querystring', 'body'] as const) {
        for (const [field, schema] of Object.entries(schemaProperties(route.schema[part]))) {
          if (!ID_FIELD.test(field)) continue;
          assert.equal(schema.pattern, ID_RULE, `${route.method} ${route.url} ${part}.${field}`);
        }
      }
    }
  });

  test("a model declaration's dataset is an id too", async () => {
    const body = { ...(VALID_REQUESTS['PUT /api/tenants/:tenantId/models/:model']!.body as object), dataset: "' OR 1=1--" };
    await refused(t, { method: 'PUT', url: '/api/tenants/acme/models/failure', payload: body }, { status: 400, code: 'NS_VALIDATION', field: 'dataset', message: /dataset.*pattern/ });
  });

  test("/api/schedules and /api/runs answer a bad tenantId alike", async () => {
    for (const url of ['/api/schedules', '/api/runs', '/api/jobs', '/api/models']) {
      await refused(t, `${url}?tenantId=${encodeURIComponent("' OR 1=1--")}`, { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /tenantId.*pattern/ });
    }
    await refused(t, `/api/schedules?jobId=${encodeURIComponent('Not A Job')}`, { status: 400, code: 'NS_VALIDATION', field: 'jobId', message: /jobId.*pattern/ });
  });
});
