/**
 * A query value or a JSON body string holding U+0000 is a 400 naming the field, on both stores:
 * PostgreSQL text cannot hold it and used to answer 500 (found by the route fuzzer on GET
 * /api/schedules and /api/audit, then on bodies).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routeSettings } from '../fixtures/api/route-requests.ts';
import { openTestApi, refused } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';

for (const target of await storeTargets()) {
  describe(`a NUL character (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('in a query value is refused naming the parameter, the store unchanged', async () => {
      const t = await openTestApi({ ...routeSettings(), target: await target.make() });
      try {
        await refused(t, '/api/schedules?cursor=a%00b', { status: 400, code: 'NS_VALIDATION', field: 'cursor', message: /NUL character/ });
        await refused(t, '/api/audit?target=a%00b', { status: 400, code: 'NS_VALIDATION', field: 'target', message: /NUL character/ });
        await refused(t, '/api/runs?jobId=%00', { status: 400, code: 'NS_VALIDATION', field: 'jobId' });
      } finally {
        await t.close();
      }
    });

    test('in a JSON body string is refused naming its path, the store unchanged', async () => {
      const t = await openTestApi({ ...routeSettings(), target: await target.make() });
      try {
        const post = (url: string, payload: string) => ({ method: 'POST' as const, url, headers: { 'content-type': 'application/json' }, payload });
        await refused(t, post('/api/tenants', '{"id":"initech","name":"Ini\\u0000tech"}'), { status: 400, code: 'NS_VALIDATION', field: 'name', message: /^body\.name: contains a NUL character/ });
        await refused(t, post('/api/tenants', '{"id":"initech","labels":[{"k":"x"},{"k":"a\\u0000"}]}'), { status: 400, code: 'NS_VALIDATION', field: 'labels[1].k' });
        // In a key, too.
        await refused(t, post('/api/tenants', '{"id":"initech","n\\u0000":"x"}'), { status: 400, code: 'NS_VALIDATION', message: /NUL character/ });
        // An escaped backslash followed by "u0000" is text, not a NUL: validated as usual.
        const text = await t.app.inject(post('/api/tenants', '{"id":"initech","name":"a\\\\u0000"}'));
        assert.equal(text.statusCode, 201, text.body);
        assert.equal((text.json() as { name: string }).name, 'a\\u0000');
      } finally {
        await t.close();
      }
    });
  });
}
