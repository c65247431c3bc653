/**
 * nightshift mounted in a host's Fastify app: its routes keep their strict contract (unknown
 * fields and wrong types refused with NS_ codes), and the host keeps its own error handler and 404.
 */
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { test } from 'node:test';
import { createNightshift } from '../../src/index.ts';
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
