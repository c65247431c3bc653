/**
 * nightshift mounted in a host's Fastify app: its routes keep their strict contract (unknown
 * fields and wrong types refused with NS_ codes), and the host keeps its own error handler and 404.
 */
import assert from 'node:assert/strict';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, test } from 'node:test';
import { createNightshift } from '../../src/index.ts';
import { assertError } from '../helpers/api.ts';
import { documentProblems, type OpenApiDoc } from '../helpers/openapi.ts';
import { makeSettings } from '../helpers/settings.ts';

test('inside a host app: strict validation on nightshift routes, the host keeps its own handlers', async () => {
  const host = Fastify();
  host.setErrorHandler((_error, _request, reply) => reply.status(418).send({ host: 'handled' }));
  host.get('/host/boom', async () => {
    throw new Error('host failure');
  });
  const ns = await createNightshift({ settings: makeSettings() });
  await host.register(ns.plugin, ns.pluginOptions);
  try {
    const unknownField = await host.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', bogus: 1 } });
    assert.equal(unknownField.statusCode, 400, unknownField.body);
    assert.equal(unknownField.json().error.code, 'NS_VALIDATION');
    assert.equal(unknownField.json().error.field, 'bogus');

    const wrongType = await host.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', name: 42 } });
    assert.equal(wrongType.statusCode, 400, 'a number is not coerced into a name');
    assert.equal(wrongType.json().error.field, 'name');

    const tenants = await host.inject({ method: 'GET', url: '/api/tenants' });
    assert.ok(!tenants.json().tenants.some((t: { id: string }) => t.id === 'initech'), 'nothing was stored by the refused requests');

    const hostError = await host.inject({ method: 'GET', url: '/host/boom' });
    assert.deepEqual([hostError.statusCode, hostError.json()], [418, { host: 'handled' }], "the host's own error handler still handles the host's routes");

    const missing = await host.inject({ method: 'GET', url: '/host/nothing-here' });
    assert.equal(missing.statusCode, 404);
    assert.notEqual(missing.json().error?.code, 'NS_NOT_FOUND', "the host's 404 is not replaced by nightshift's");
  } finally {
    await host.close();
    await ns.stop(0);
  }
});

test("a run asked for under another tenant is not found, and cannot be cancelled from there", async () => {
  const { openTestApi } = await import('../helpers/api.ts');
  const { commandJob } = await import('../helpers/settings.ts');
  const t = await openTestApi({ jobs: [commandJob('quick', process.execPath, ['-e', '0'])] });
  try {
    const { runId } = (await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'acme' } })).json() as { runId: string };
    assert.equal((await t.app.inject({ method: 'GET', url: `/api/runs/${runId}?tenantId=acme` })).statusCode, 200);
    const other = await t.app.inject({ method: 'GET', url: `/api/runs/${runId}?tenantId=globex` });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().error.code, 'NS_NOT_FOUND');
    assert.equal((await t.app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel?tenantId=globex` })).statusCode, 404);
    assert.equal((await t.engine.runs.get('acme', runId)).status, 'queued', 'not cancelled by the other tenant');
  } finally {
    await t.close();
  }
});

/** GET a docs UI: 200 with HTML, or a redirect to it. */
async function assertDocsUi(host: FastifyInstance, url: string): Promise<void> {
  let res = await host.inject({ url });
  if ([301, 302, 303, 307, 308].includes(res.statusCode)) {
    const location = String(res.headers.location);
    res = await host.inject({ url: location.startsWith('/') ? location : `${url.replace(/[^/]*$/, '')}${location}` });
  }
  assert.equal(res.statusCode, 200, `${url}: ${res.statusCode}`);
  assert.match(String(res.headers['content-type']), /text\/html/);
}

describe('library mode: the OpenAPI document, its UI and the NS_ 404 come with the plugin', () => {
  test('mounted at the root: /openapi.json and /docs describe nightshift; unknown routes under /api are NS_ 404s; the host keeps its own 404', async () => {
    const host = Fastify();
    host.get('/host/ok', async () => ({ ok: true }));
    const ns = await createNightshift({ settings: makeSettings() });
    await host.register(ns.plugin, ns.pluginOptions);
    try {
      const res = await host.inject({ url: '/openapi.json' });
      assert.equal(res.statusCode, 200, res.body);
      const doc = res.json() as OpenApiDoc;
      assert.ok(doc.paths['/api/runs']?.get, 'nightshift routes are documented');
      assert.equal(doc.paths['/host/ok'], undefined, "the host's own routes are not nightshift's to document");
      assert.deepEqual(documentProblems(doc), []);
      await assertDocsUi(host, '/docs');

      assertError(await host.inject({ url: '/api/nothing-here' }), { status: 404, code: 'NS_NOT_FOUND', field: 'url', message: /\/api\/nothing-here/ });
      assertError(await host.inject({ method: 'PATCH', url: '/api/schedules/x' }), { status: 404, code: 'NS_NOT_FOUND', field: 'url' });
      const hostMissing = await host.inject({ url: '/host/nothing-here' });
      assert.equal(hostMissing.statusCode, 404);
      assert.equal(hostMissing.json().error, 'Not Found', "Fastify's own 404 for the host's paths");
    } finally {
      await host.close();
      await ns.stop(0);
    }
  });

  test('mounted under a prefix: the document, the UI and the NS_ 404 live under it', async () => {
    const host = Fastify();
    const ns = await createNightshift({ settings: makeSettings() });
    await host.register(ns.plugin, { ...ns.pluginOptions, prefix: '/ns' });
    try {
      const res = await host.inject({ url: '/ns/openapi.json' });
      assert.equal(res.statusCode, 200, res.body);
      const doc = res.json() as OpenApiDoc;
      assert.ok(doc.paths['/ns/api/runs']?.get, JSON.stringify(Object.keys(doc.paths).slice(0, 5)));
      await assertDocsUi(host, '/ns/docs');
      assertError(await host.inject({ url: '/ns/nothing-here' }), { status: 404, code: 'NS_NOT_FOUND', field: 'url' });
      assert.equal((await host.inject({ url: '/ns/api/tenants' })).statusCode, 200);
      assert.equal((await host.inject({ url: '/elsewhere' })).json().error, 'Not Found');
    } finally {
      await host.close();
      await ns.stop(0);
    }
  });

  test('a host with its own @fastify/swagger: nightshift documents its routes there, and serves its own document only when asked', async () => {
    const host = Fastify();
    await host.register(swagger, { openapi: { info: { title: 'shop', version: '1' } } });
    host.get('/host/ok', async () => ({ ok: true }));
    const ns = await createNightshift({ settings: makeSettings() });
    await host.register(ns.plugin, ns.pluginOptions);
    await host.register(ns.plugin, { ...ns.pluginOptions, prefix: '/ns', openapi: true });
    try {
      await host.ready();
      const hostDoc = host.swagger() as unknown as OpenApiDoc;
      assert.ok(hostDoc.paths['/host/ok'] && hostDoc.paths['/api/runs']?.get?.operationId, "nightshift's routes, with their operationIds, in the host's document");
      assert.equal((await host.inject({ url: '/openapi.json' })).statusCode, 404, 'no second document at the root by default');
      const own = (await host.inject({ url: '/ns/openapi.json' })).json() as OpenApiDoc;
      assert.ok(own.paths['/ns/api/runs'] && !own.paths['/host/ok'] && !own.paths['/api/runs'], 'its own document: its own routes only');
      await assertDocsUi(host, '/ns/docs');
    } finally {
      await host.close();
      await ns.stop(0);
    }
  });
});
