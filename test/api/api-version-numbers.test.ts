/**
 * Model version numbers have a stated range, 1 to 2^31-1 (versions are INTEGER columns, 32 bits on
 * PostgreSQL): a larger one in a path, a query string or a body is a 400 naming the field, on both
 * stores, where PostgreSQL used to answer 500 (integer out of range; found by the route fuzzer).
 * The largest number is accepted and simply names no version.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routeSettings, VALID_REQUESTS } from '../fixtures/api/route-requests.ts';
import { openTestApi, refused } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';

const MODEL = '/api/tenants/acme/models/failure';
const PAST = 2 ** 31;
const LARGEST = 2 ** 31 - 1;

for (const target of await storeTargets()) {
  describe(`model version numbers past 2^31-1 are bad input (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('paths, queries and bodies: 400 naming the field, the store unchanged; the largest number is no error', async () => {
      const t = await openTestApi({ ...routeSettings(), target: await target.make() });
      try {
        // A declared model over a dataset, so the seed route reads a version name (its string form).
        for (const [route, url] of [['PUT /api/tenants/:tenantId/datasets/:datasetId', '/api/tenants/acme/datasets/readings'], ['PUT /api/tenants/:tenantId/models/:model', MODEL]] as const) {
          const res = await t.app.inject({ method: 'PUT', url, payload: VALID_REQUESTS[route]!.body as object });
          assert.ok(res.statusCode < 300, `${route}: ${res.body}`);
        }
        const cases: Array<[string, Parameters<typeof refused>[1], string]> = [
          ['version in the path', `${MODEL}/versions/${PAST}`, 'version'],
          ['cursor of the versions', `${MODEL}/versions?cursor=${PAST}`, 'cursor'],
          ['before of the champion history', `${MODEL}/champion/history?before=${PAST}`, 'before'],
          ['promote', { method: 'POST', url: `${MODEL}/promote`, payload: { version: 2 ** 53 - 1 } }, 'version'],
          ['promote expectedCurrent', { method: 'POST', url: `${MODEL}/promote`, payload: { version: 1, expectedCurrent: PAST } }, 'expectedCurrent'],
          ['rollback', { method: 'POST', url: `${MODEL}/rollback`, payload: { targetVersion: PAST } }, 'targetVersion'],
          ['seed rollback, a number', { method: 'POST', url: '/api/training/rollback', payload: { organizationId: 'acme', targetVersion: PAST } }, 'targetVersion'],
        ];
        for (const [what, request, field] of cases) {
          const error = await refused(t, request, { status: 400, code: 'NS_VALIDATION' });
          assert.match(`${error.field} ${error.message}`, new RegExp(field), `${what}: ${error.message}`);
        }
        for (const v of [`v${PAST}`, 'v0', `${'9'.repeat(30)}`]) {
          await refused(t, { method: 'POST', url: '/api/training/rollback', payload: { organizationId: 'acme', modelName: 'failure', targetVersion: v } }, { status: 400, code: 'NS_VALIDATION', field: 'targetVersion', message: /send 3, "v3"/ });
        }
        for (const url of [`${MODEL}/versions/${LARGEST}`, `${MODEL}/versions?cursor=${LARGEST}`, `${MODEL}/champion/history?before=${LARGEST}`]) {
          const res = await t.app.inject({ url });
          assert.ok(res.statusCode === 200 || res.statusCode === 404, `GET ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      } finally {
        await t.close();
      }
    });
  });
}
