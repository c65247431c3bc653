/** GET/POST /api/tenants, GET /api/jobs (+ ?tenantId), GET /api/jobs/:id over app.inject(), bad inputs included. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, body, openTestApi, refused, waitForRunEnd, type TestApi } from '../helpers/api.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const node = process.execPath;

interface TenantBody {
  id: string;
  name: string;
  timezone: string;
  createdAt: string;
}
interface JobBody {
  id: string;
  kind: string;
  tenants: string[] | null;
  schedules: Array<{ id: string; tenantId: string; nextRuns: string[] }>;
  nextRunAt: string | null;
  lastRun: { id: string; tenantId: string; status: string } | null;
}


describe('/api/tenants', () => {
  test('GET lists the declared tenants; POST creates one (defaults: name = id, the service zone), PUT changes it', async () => {
    const t = await openTestApi();
    try {
      const list = await t.app.inject({ url: '/api/tenants' });
      assert.equal(list.statusCode, 200);
      assert.deepEqual(body<{ tenants: TenantBody[] }>(list).tenants.map((x) => [x.id, x.name, x.timezone]), [
        ['acme', 'Acme', 'UTC'],
        ['globex', 'Globex', 'Europe/London'],
      ]);

      const created = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', name: 'Initech', timezone: 'America/Chicago' } });
      assert.equal(created.statusCode, 201);
      assert.deepEqual(body(created), { id: 'initech', name: 'Initech', timezone: 'America/Chicago', createdAt: '2026-03-01T00:00:00.000Z' });

      const bare = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'hooli' } });
      assert.equal(bare.statusCode, 201);
      assert.deepEqual(body(bare), { id: 'hooli', name: 'hooli', timezone: 'UTC', createdAt: '2026-03-01T00:00:00.000Z' });

      const again = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', name: 'Initech Corp' } });
      assert.equal(again.statusCode, 409, 'POST never overwrites (api-tenants-lifecycle.test.ts)');
      const renamed = await t.app.inject({ method: 'PUT', url: '/api/tenants/initech', payload: { name: 'Initech Corp' } });
      assert.equal(renamed.statusCode, 200, renamed.body);
      assert.equal(body<TenantBody>(renamed).name, 'Initech Corp');
      assert.equal(body<TenantBody>(renamed).timezone, 'America/Chicago');

      const after = body<{ tenants: TenantBody[] }>(await t.app.inject({ url: '/api/tenants' })).tenants;
      assert.deepEqual(after.map((x) => x.id), ['acme', 'globex', 'hooli', 'initech']);
      assert.equal(after.find((x) => x.id === 'initech')?.name, 'Initech Corp');
    } finally {
      await t.close();
    }
  });

  const bad: Array<[string, Record<string, unknown>, Parameters<typeof assertError>[1]]> = [
    ['an unknown time zone', { id: 'x1', timezone: 'Mars/Olympus_Mons' }, { status: 400, code: 'NS_VALIDATION', field: 'timezone', message: /Mars\/Olympus_Mons.*time zone/ }],
    ['an unknown field', { id: 'x1', plan: 'gold' }, { status: 400, code: 'NS_VALIDATION', field: 'plan', message: /plan.*unknown field.*remove/ }],
    ['a missing id', { name: 'No Id' }, { status: 400, code: 'NS_VALIDATION', field: 'id', message: /id.*required/ }],
    ['an id that breaks the pattern', { id: 'Has Spaces' }, { status: 400, code: 'NS_VALIDATION', field: 'id', message: /id.*pattern/ }],
    ['an object for a string (wrong type)', { id: 'x1', name: { first: 'a' } }, { status: 400, code: 'NS_VALIDATION', field: 'name', message: /name.*string/ }],
    ['a number for the string id (wrong type)', { id: 42 }, { status: 400, code: 'NS_VALIDATION', field: 'id', message: /id.*string/ }],
    ['an empty name', { id: 'x1', name: '' }, { status: 400, code: 'NS_VALIDATION', field: 'name' }],
  ];
  describe('refused bodies (one shared app: each refusal proves the store unchanged)', () => {
    let t: TestApi;
    before(async () => {
      t = await openTestApi();
    });
    after(async () => {
      await t.close();
    });
    for (const [what, payload, expected] of bad) {
      test(`POST refuses ${what} with ${expected.status} ${expected.code}, store unchanged`, async () => {
        await refused(t, { method: 'POST', url: '/api/tenants', payload }, expected);
      });
    }

    test('POST with a body that is not JSON, not an object, or empty: 400 naming the body', async () => {
      const json = { 'content-type': 'application/json' };
      await refused(t, { method: 'POST', url: '/api/tenants', payload: '{"id": "x1",', headers: json }, { status: 400, code: 'NS_VALIDATION', field: 'body', message: /JSON/ });
      await refused(t, { method: 'POST', url: '/api/tenants', payload: '[1, 2]', headers: json }, { status: 400, code: 'NS_VALIDATION', field: 'body', message: /object/ });
      await refused(t, { method: 'POST', url: '/api/tenants', payload: '', headers: json }, { status: 400, code: 'NS_VALIDATION', field: 'body' });
    });
  });
});

describe('/api/jobs', () => {
  const jobs = [
    commandJob('quick', node, ['-e', '0']),
    commandJob('globex-only', node, ['-e', '0'], { tenants: ['globex'] }),
  ];
  const schedules = [schedule('quick-acme', 'quick', { cron: '0 6 * * *' }), schedule('quick-globex', 'quick', { tenantId: 'globex', cron: '0 4 * * *' })];

  test('GET lists jobs with their schedules, next run and last run; ?tenantId narrows all three', async () => {
    const t = await openTestApi({ jobs, schedules });
    try {
      const acmeRun = await t.engine.runs.trigger('quick', 'acme');
      const all = body<{ jobs: JobBody[] }>(await t.app.inject({ url: '/api/jobs' })).jobs;
      assert.deepEqual(all.map((j) => j.id), ['globex-only', 'quick']);
      const quick = all.find((j) => j.id === 'quick')!;
      assert.equal(quick.kind, 'command');
      assert.deepEqual(quick.schedules.map((s) => s.id), ['quick-acme', 'quick-globex']);
      assert.equal(quick.nextRunAt, '2026-03-01T04:00:00.000Z', 'the earliest of its schedules');
      assert.equal(quick.lastRun?.id, acmeRun.id);
      assert.deepEqual(all.find((j) => j.id === 'globex-only')!.tenants, ['globex']);

      const acme = await t.app.inject({ url: '/api/jobs?tenantId=acme' });
      assert.equal(acme.statusCode, 200);
      const acmeJobs = body<{ jobs: JobBody[] }>(acme).jobs;
      assert.deepEqual(acmeJobs.map((j) => j.id), ['quick'], 'a job that does not run for acme is left out');
      assert.deepEqual(acmeJobs[0]!.schedules.map((s) => s.id), ['quick-acme']);
      assert.equal(acmeJobs[0]!.nextRunAt, '2026-03-01T06:00:00.000Z');
      assert.equal(acmeJobs[0]!.lastRun?.id, acmeRun.id);

      const globex = body<{ jobs: JobBody[] }>(await t.app.inject({ url: '/api/jobs?tenantId=globex' })).jobs;
      assert.deepEqual(globex.map((j) => j.id), ['globex-only', 'quick']);
      assert.equal(globex.find((j) => j.id === 'quick')!.lastRun, null, 'acme’s run is not globex’s');
    } finally {
      await t.close();
    }
  });

  test('GET /api/jobs/:id shows one job (+ ?tenantId); unknown id is 404; bad query is 400', async () => {
    const t = await openTestApi({ jobs, schedules });
    try {
      const one = await t.app.inject({ url: '/api/jobs/quick?tenantId=globex' });
      assert.equal(one.statusCode, 200);
      const job = body<JobBody>(one);
      assert.equal(job.id, 'quick');
      assert.deepEqual(job.schedules.map((s) => s.id), ['quick-globex']);
      assert.equal(job.schedules[0]!.nextRuns.length, 5);
      assertError(await t.app.inject({ url: '/api/jobs/nope' }), { status: 404, code: 'NS_NOT_FOUND', message: /job "nope" does not exist/ });
      assertError(await t.app.inject({ url: '/api/jobs/quick?tenantId=NOT_AN_ID' }), { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /tenantId.*pattern/ });
      assertError(await t.app.inject({ url: '/api/jobs?tenant=acme' }), { status: 400, code: 'NS_VALIDATION', field: 'tenant', message: /unknown field/ });
    } finally {
      await t.close();
    }
  });

  test('lastRun includes runs of a tenant created over HTTP', async () => {
    const t = await openTestApi({ jobs });
    try {
      t.engine.start({ scheduler: false });
      assert.equal((await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech' } })).statusCode, 201);
      const trig = await t.app.inject({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'initech' } });
      assert.equal(trig.statusCode, 202, trig.body);
      const runId = body<{ runId: string }>(trig).runId;
      await waitForRunEnd(t.engine, runId);
      const scoped = body<JobBody>(await t.app.inject({ url: '/api/jobs/quick?tenantId=initech' }));
      assert.equal(scoped.lastRun?.id, runId);
      const job = body<JobBody>(await t.app.inject({ url: '/api/jobs/quick' }));
      assert.equal(job.lastRun?.id, runId, 'the job’s latest run, whichever tenant it belongs to');
    } finally {
      await t.close();
    }
  });
});
