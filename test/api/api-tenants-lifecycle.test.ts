/**
 * Tenants are created, changed and deleted, never silently overwritten: POST with an id in use is
 * 409 naming `id` (the tenant untouched); PUT /api/tenants/:id changes the name or zone and logs one
 * line with the values before and after; DELETE /api/tenants/:id refuses while the tenant has data
 * unless forced, never runs under a running run, and leaves config-declared tenants to the file.
 * (Forced deletion of every row on both stores: test/contract/tenant-delete.contract.test.ts.)
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { Engine } from '../../src/engine.ts';
import { getTenant } from '../../src/store/tenants.ts';
import { body, openTestApi, refused, waitForRunSpawned, type TestApi } from '../helpers/api.ts';
import { commandJob, makeSettings } from '../helpers/settings.ts';

const node = process.execPath;

describe('POST /api/tenants creates, and only creates', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi();
  });
  after(async () => {
    await t.close();
  });

  test('an id in use is 409 NS_CONFLICT naming id and PUT; the tenant keeps its name and zone', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', name: 'Initech', timezone: 'America/Chicago' } });
    assert.equal(created.statusCode, 201, created.body);
    await refused(t, { method: 'POST', url: '/api/tenants', payload: { id: 'initech' } }, { status: 409, code: 'NS_CONFLICT', field: 'id', message: /"initech" already exists.*PUT \/api\/tenants\/initech/ });
    await refused(t, { method: 'POST', url: '/api/tenants', payload: { id: 'globex', name: 'Taken' } }, { status: 409, code: 'NS_CONFLICT', field: 'id' });
    const row = await getTenant(t.engine.db.k, 'initech');
    assert.deepEqual([row?.name, row?.timezone], ['Initech', 'America/Chicago'], 'not changed to the defaults (UTC)');
    assert.equal((await getTenant(t.engine.db.k, 'globex'))?.timezone, 'Europe/London');
  });
});

describe('PUT /api/tenants/:id', () => {
  test('changes the name or zone, leaves the rest, and logs one line with before and after', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const engine = await Engine.open({ settings: makeSettings(), logger: pino({ level: 'info' }, sink) });
    const { buildApp } = await import('../../src/api/app.ts');
    const app = await buildApp({ services: engine, logger: engine.logger });
    try {
      assert.equal((await app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', name: 'Initech', timezone: 'America/Chicago' } })).statusCode, 201);
      const zone = await app.inject({ method: 'PUT', url: '/api/tenants/initech', payload: { timezone: 'Europe/Paris' } });
      assert.equal(zone.statusCode, 200, zone.body);
      assert.deepEqual([body(zone).id, body(zone).name, body(zone).timezone], ['initech', 'Initech', 'Europe/Paris']);
      const renamed = await app.inject({ method: 'PUT', url: '/api/tenants/initech', payload: { name: 'Initech Corp' } });
      assert.deepEqual([body(renamed).name, body(renamed).timezone], ['Initech Corp', 'Europe/Paris']);
      const same = await app.inject({ method: 'PUT', url: '/api/tenants/initech', payload: { name: 'Initech Corp' } });
      assert.equal(same.statusCode, 200);

      const updates = lines.filter((l) => l.msg === 'tenant updated');
      assert.deepEqual(
        updates.map((l) => [l.tenantId, l.before, l.after]),
        [
          ['initech', { timezone: 'America/Chicago' }, { timezone: 'Europe/Paris' }],
          ['initech', { name: 'Initech' }, { name: 'Initech Corp' }],
        ],
        'one line per change, none for a PUT that changes nothing',
      );
    } finally {
      await app.close();
      await engine.close(1_000);
    }
  });

  describe('refused', () => {
    let t: TestApi;
    before(async () => {
      t = await openTestApi();
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech' } })).statusCode, 201);
    });
    after(async () => {
      await t.close();
    });
    const cases: Array<[string, string, Record<string, unknown>, Parameters<typeof refused>[2]]> = [
      ['an unknown tenant', '/api/tenants/ghost', { name: 'Ghost' }, { status: 404, code: 'NS_NOT_FOUND', message: /tenant "ghost"/ }],
      ['an unknown zone', '/api/tenants/initech', { timezone: 'Mars/Olympus_Mons' }, { status: 400, code: 'NS_VALIDATION', field: 'timezone', message: /Mars\/Olympus_Mons.*time zone/ }],
      ['an id in the body (the id is the path)', '/api/tenants/initech', { id: 'other' }, { status: 400, code: 'NS_VALIDATION', field: 'id', message: /unknown field/ }],
      ['an empty name', '/api/tenants/initech', { name: '' }, { status: 400, code: 'NS_VALIDATION', field: 'name' }],
      ['a tenant the config declares: the file wins', '/api/tenants/acme', { name: 'Acme Corp' }, { status: 409, code: 'NS_CONFLICT', field: 'id', message: /declared in the configuration/ }],
    ];
    for (const [what, url, payload, expected] of cases) {
      test(what, async () => {
        await refused(t, { method: 'PUT', url, payload }, expected);
      });
    }
  });
});

describe('DELETE /api/tenants/:id', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ jobs: [commandJob('quick', node, ['-e', '0']), commandJob('linger', node, ['-e', 'setInterval(() => {}, 1000)'])] });
  });
  after(async () => {
    await t.close();
  });

  test('a tenant without data is deleted (200 with what went), then 404', async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'empty' } })).statusCode, 201);
    const res = await t.app.inject({ method: 'DELETE', url: '/api/tenants/empty' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(body(res), { id: 'empty', deleted: { schedules: 0, runs: 0, datasets: 0, samples: 0, models: 0, versions: 0, artifacts: 0 } });
    assert.equal(await getTenant(t.engine.db.k, 'empty'), undefined);
    await refused(t, { method: 'DELETE', url: '/api/tenants/empty' }, { status: 404, code: 'NS_NOT_FOUND' });
  });

  test('with data: 409 naming force and counting what it has; force=true deletes it with its data', async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech' } })).statusCode, 201);
    assert.equal((await t.app.inject({ method: 'PUT', url: '/api/schedules/initech-quick', payload: { tenantId: 'initech', jobId: 'quick', cron: '0 1 * * *' } })).statusCode, 201);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'initech' } })).statusCode, 202);
    const error = await refused(t, { method: 'DELETE', url: '/api/tenants/initech' }, { status: 409, code: 'NS_CONFLICT', field: 'force', message: /"initech" still has 1 schedules, 1 runs.*force=true/ });
    assert.deepEqual(error.details, { schedules: 1, runs: 1, datasets: 0, samples: 0, models: 0, versions: 0 });
    await refused(t, { method: 'DELETE', url: '/api/tenants/initech?force=false' }, { status: 409, code: 'NS_CONFLICT', field: 'force' });

    const forced = await t.app.inject({ method: 'DELETE', url: '/api/tenants/initech?force=true' });
    assert.equal(forced.statusCode, 200, forced.body);
    assert.deepEqual(body<{ deleted: Record<string, number> }>(forced).deleted, { schedules: 1, runs: 1, datasets: 0, samples: 0, models: 0, versions: 0, artifacts: 0 });
    assert.equal((await t.app.inject({ url: '/api/schedules/initech-quick' })).statusCode, 404);
    for (const url of ['/api/tenants', '/api/schedules', '/api/runs', '/api/jobs', '/api/models']) assert.equal((await t.app.inject({ url })).statusCode, 200, url);
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech' } })).statusCode, 201, 'the id can be used again');
  });

  test('never while one of its runs is running, forced or not', async () => {
    assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'busy' } })).statusCode, 201);
    t.engine.start({ scheduler: false });
    const trig = await t.app.inject({ method: 'POST', url: '/api/jobs/linger/trigger', payload: { tenantId: 'busy' } });
    assert.equal(trig.statusCode, 202, trig.body);
    const runId = body<{ runId: string }>(trig).runId;
    await waitForRunSpawned(t.engine, runId);
    await refused(t, { method: 'DELETE', url: '/api/tenants/busy?force=true' }, { status: 409, code: 'NS_CONFLICT', field: 'id', message: /1 run\(s\) running.*cancel/ }, { live: true });
    await t.app.inject({ method: 'POST', url: `/api/runs/${runId}/cancel` });
  });

  test('a tenant the config declares is deleted in the file, not over the API', async () => {
    await refused(t, { method: 'DELETE', url: '/api/tenants/acme?force=true' }, { status: 409, code: 'NS_CONFLICT', field: 'id', message: /declared in the configuration/ });
  });

  test('bad ids and bad force values are 400', async () => {
    await refused(t, { method: 'DELETE', url: `/api/tenants/${encodeURIComponent("' OR 1=1--")}` }, { status: 400, code: 'NS_VALIDATION', field: 'id' });
    await refused(t, { method: 'DELETE', url: '/api/tenants/initech?force=maybe' }, { status: 400, code: 'NS_VALIDATION', field: 'force' });
  });
});
