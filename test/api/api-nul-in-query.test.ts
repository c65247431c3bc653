/**
 * A query value holding U+0000 is a 400 naming the parameter, on both stores: PostgreSQL text cannot
 * hold it and used to answer 500 (found by the route fuzzer on GET /api/schedules and /api/audit).
 */
import { describe, test } from 'node:test';
import { routeSettings } from '../fixtures/api/route-requests.ts';
import { openTestApi, refused } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';

for (const target of await storeTargets()) {
  describe(`a NUL character in a query value (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('is refused naming the parameter, the store unchanged', async () => {
      const t = await openTestApi({ ...routeSettings(), target: await target.make() });
      try {
        await refused(t, '/api/schedules?cursor=a%00b', { status: 400, code: 'NS_VALIDATION', field: 'cursor', message: /NUL character/ });
        await refused(t, '/api/audit?target=a%00b', { status: 400, code: 'NS_VALIDATION', field: 'target', message: /NUL character/ });
        await refused(t, '/api/runs?jobId=%00', { status: 400, code: 'NS_VALIDATION', field: 'jobId' });
      } finally {
        await t.close();
      }
    });
  });
}
