/**
 * Body problems common to every route that takes a body: > 1 MiB (413), a content type other than
 * JSON (415), and unexpected failures (no stack, request id in the log). Each answers a stable NS_
 * code, the field at fault, a message that says what to fix — and changes nothing in the store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BODY_LIMIT_BYTES } from '../../src/api/app.ts';
import { assertError, openTestApi, refused, type TestApi } from '../helpers/api.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const node = process.execPath;

/** Every route with a body, each with a body it would accept. */
const WRITES: Array<{ method: 'POST' | 'PUT'; url: string; valid: Record<string, unknown> }> = [
  { method: 'POST', url: '/api/tenants', valid: { id: 'initech' } },
  { method: 'POST', url: '/api/schedules', valid: { id: 'fresh', tenantId: 'acme', jobId: 'quick', cron: '0 1 * * *' } },
  { method: 'PUT', url: '/api/schedules/existing', valid: { tenantId: 'acme', jobId: 'quick', cron: '0 1 * * *' } },
  { method: 'POST', url: '/api/jobs/quick/trigger', valid: { tenantId: 'acme' } },
  { method: 'POST', url: '/api/schedules/existing/disable', valid: {} },
  { method: 'POST', url: '/api/schedules/existing/enable', valid: {} },
];

const open = () => openTestApi({ jobs: [commandJob('quick', node, ['-e', '0'])], schedules: [schedule('existing', 'quick', { cron: '0 5 * * *' })] });

// One app for the whole file: every request here is refused, and each one proves the store unchanged.
let shared: TestApi;
before(async () => {
  shared = await open();
});
after(async () => {
  await shared.close();
});
const withApi = (fn: (t: TestApi) => Promise<void>) => fn(shared);

describe('bodies larger than 1 MiB: 413 NS_PAYLOAD_TOO_LARGE, store unchanged', () => {
  for (const route of WRITES) {
    test(`${route.method} ${route.url}`, () =>
      withApi(async (t) => {
        // Valid JSON of the route's own shape, padded past the limit.
        const padded = JSON.stringify({ ...route.valid, padding: 'x'.repeat(BODY_LIMIT_BYTES) });
        assert.ok(Buffer.byteLength(padded) > 1_048_576);
        // Routes that take no body have a smaller limit of their own (src/api/authorization.ts).
        await refused(
          t,
          { method: route.method, url: route.url, payload: padded, headers: { 'content-type': 'application/json' } },
          { status: 413, code: 'NS_PAYLOAD_TOO_LARGE', field: 'body', message: /larger than (1048576|16384) bytes.*send less/ },
        );
      }));
  }

  test('a body just under the limit is read (and refused only for its content)', () =>
    withApi(async (t) => {
      const payload = JSON.stringify({ id: 'initech', name: 'x'.repeat(BODY_LIMIT_BYTES - 100) });
      assert.ok(Buffer.byteLength(payload) < BODY_LIMIT_BYTES);
      await refused(t, { method: 'POST', url: '/api/tenants', payload, headers: { 'content-type': 'application/json' } }, { status: 400, code: 'NS_VALIDATION', field: 'name', message: /name.*200/ });
    }));
});

describe('a content type other than JSON: 415 NS_UNSUPPORTED_MEDIA_TYPE naming the header, store unchanged', () => {
  const types: Array<[string, string]> = [
    ['application/x-www-form-urlencoded', 'id=initech&tenantId=acme&jobId=quick&cron=0+1+*+*+*'],
    ['application/xml', '<tenant id="initech"/>'],
    ['multipart/form-data; boundary=zz', '--zz\r\nContent-Disposition: form-data; name="id"\r\n\r\ninitech\r\n--zz--\r\n'],
    ['text/plain', '{"id": "initech", "tenantId": "acme", "jobId": "quick", "cron": "0 1 * * *"}'],
  ];
  for (const route of WRITES.slice(0, 4)) {
    for (const [type, payload] of types) {
      test(`${route.method} ${route.url} with ${type.split(';')[0]}`, () =>
        withApi(async (t) => {
          await refused(
            t,
            { method: route.method, url: route.url, payload, headers: { 'content-type': type } },
            { status: 415, code: 'NS_UNSUPPORTED_MEDIA_TYPE', field: 'content-type', message: /not accepted.*application\/json/ },
          );
        }));
    }
  }

  test('JSON with parameters or odd casing is accepted', () =>
    withApi(async (t) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: '{"id":"initech"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
      assert.equal(res.statusCode, 201, res.body);
      const upper = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: '{"id":"initech2"}', headers: { 'content-type': 'Application/JSON' } });
      assert.equal(upper.statusCode, 201, upper.body);
    }));
});

describe('failures inside the server', () => {
  test('a lost store connection on a data route: 503 NS_STORE, no stack in the body, the error logged with the request id', async () => {
    const t = await open();
    try {
      await t.engine.db.close();
      for (const url of ['/api/tenants', '/api/runs', '/api/schedules']) {
        const res = await t.app.inject({ url });
        assert.ok(res.statusCode >= 500, `${url}: ${res.statusCode}`);
        const error = assertError(res, { status: res.statusCode, code: res.statusCode === 500 ? 'NS_INTERNAL' : 'NS_STORE' });
        const logged = t.httpLog.find((l) => l.level === 50 && typeof l.reqId === 'string' && error.message.includes(l.reqId));
        if (res.statusCode === 500) assert.ok(logged, 'the message names a request id that the log has, with the error');
        assertError(res, { status: 503, code: 'NS_STORE', message: /store/i });
      }
    } finally {
      await t.close();
    }
  });
});
