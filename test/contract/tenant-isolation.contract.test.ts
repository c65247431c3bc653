/**
 * Tenant isolation contract, on SQLite and PostgreSQL: with two tenants, a by-id call under the
 * wrong tenant behaves exactly like a call for a missing id and changes nothing, lists under a
 * tenant return only its rows, and a schedule id never passes from one tenant to another.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../../src/engine.ts';
import { isNsError } from '../../src/errors.ts';
import { syncDefinitions } from '../../src/scheduler/schedule-sync.ts';
import { inTransaction, LOCK_KEYS, type Executor } from '../../src/store/db.ts';
import { jobHealth } from '../../src/store/job-health.ts';
import { listModelDefinitions, upsertModelDefinition } from '../../src/store/model-definitions.ts';
import { claimRuns, finishRun, heartbeat, recordPid } from '../../src/store/run-transitions.ts';
import { countRunsByStatus, getRunRow, listAttempts, listRuns } from '../../src/store/runs.ts';
import { getScheduleRow, listSchedules, nextDueAt } from '../../src/store/schedules.ts';
import { countSlotsByFate, listSlots } from '../../src/store/slots.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine, type TestEngine } from '../helpers/engine.ts';
import { commandJob, schedule } from '../helpers/settings.ts';

const quick = commandJob('quick', process.execPath, ['-e', '0']);
const OWNER = 'w1';

/** Every row of the tables a by-id call could touch, in a stable order. */
async function snapshot(k: Executor) {
  return {
    runs: await k.selectFrom('runs').selectAll().orderBy('id').execute(),
    attempts: await k.selectFrom('run_attempts').selectAll().orderBy('run_id').orderBy('attempt').execute(),
    schedules: await k.selectFrom('schedules').selectAll().orderBy('id').execute(),
    slots: await k.selectFrom('slots').selectAll().orderBy('schedule_id').orderBy('slot_at').execute(),
  };
}

/** The error a call for an id that never existed gets: the wrong tenant must get the same. */
const notFound = (what: 'run' | 'schedule', id: string) => (error: unknown) => {
  assert.ok(isNsError(error), `expected an NsError, got ${String(error)}`);
  assert.equal(error.code, 'NS_NOT_FOUND');
  assert.equal(error.message, `${what} "${id}" does not exist`);
  return true;
};

const ownedBy = (owner: string, deleted: boolean) => (error: unknown) => {
  assert.ok(isNsError(error), `expected an NsError, got ${String(error)}`);
  assert.equal(error.code, 'NS_CONFLICT', error.message);
  assert.match(error.message, new RegExp(`^schedule "hourly" belongs to tenant "${owner}"`));
  assert.match(error.message, /use a different schedule id/);
  assert.deepEqual(error.details, { id: 'hourly', tenantId: owner, requestedTenantId: 'globex', deleted });
  return true;
};

/**
 * Two tenants with the same job: per tenant a schedule, a slot fired at 01:00, the resulting run
 * claimed (running, with an attempt) and a second run queued behind it.
 */
async function twoTenants(t: TestEngine) {
  const { engine, clock } = t;
  t.clock.set('2026-03-01T01:00:00Z');
  await engine.scheduler.tick();
  await inTransaction(engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: OWNER, host: 'h', now: clock.now(), leaseMs: 60_000, limit: 10 }), { lock: LOCK_KEYS.claim });
  const queued = { acme: await engine.runs.trigger('quick', 'acme', { mode: 'queue' }), globex: await engine.runs.trigger('quick', 'globex', { mode: 'queue' }) };
  const [running] = await listRuns(engine.db.k, 'acme', { status: ['running'] });
  const model = (name: string) => parseModelDefinition({ name, task: 'binary', dataset: 'readings', features: { continuous: ['temperature'] } });
  await inTransaction(engine.db, async (x) => {
    await upsertModelDefinition(x, 'acme', model('failure'), 'train-failure', 'api', clock.now());
    await upsertModelDefinition(x, 'globex', model('rul'), 'train-rul', 'api', clock.now());
  });
  return { queued, running: running! };
}

for (const target of await storeTargets()) {
  describe(`tenant isolation contract (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    const schedules = [schedule('acme-hourly', 'quick', { overlap: 'queue_one' }), schedule('globex-half', 'quick', { tenantId: 'globex', cron: '30 * * * *', overlap: 'queue_one' })];

    test("by id under the wrong tenant: not found, as if the id did not exist, and nothing changes", async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick], schedules });
      try {
        const { engine, clock } = t;
        const k = engine.db.k;
        const { queued, running } = await twoTenants(t);
        assert.equal(running.tenant_id, 'acme');
        const before = await snapshot(k);

        await assert.rejects(engine.runs.get('globex', 'run_missing'), notFound('run', 'run_missing'));
        for (const id of [queued.acme.id, running.id]) {
          await assert.rejects(engine.runs.get('globex', id), notFound('run', id));
          await assert.rejects(engine.runs.cancel('globex', id), (e: unknown) => isNsError(e) && e.code === 'NS_NOT_FOUND' && e.message === `run "${id}" does not exist`);
          assert.equal(await getRunRow(k, 'globex', id), undefined);
        }
        assert.deepEqual(await listAttempts(k, 'globex', running.id), []);
        await assert.rejects(engine.schedules.delete('globex', 'acme-hourly'), notFound('schedule', 'acme-hourly'));
        await assert.rejects(engine.schedules.setEnabled('globex', 'acme-hourly', false), notFound('schedule', 'acme-hourly'));
        assert.equal(await getScheduleRow(k, 'globex', 'acme-hourly', true), undefined);
        // The lease holder's own transitions name the tenant too: under another, the lease is not theirs.
        await assert.rejects(heartbeat(k, 'globex', running.id, OWNER, clock.now(), 60_000), { code: 'NS_LEASE_LOST' });
        await assert.rejects(recordPid(k, 'globex', running.id, OWNER, 4242, clock.now()), { code: 'NS_LEASE_LOST' });
        await assert.rejects(inTransaction(engine.db, (x) => finishRun(x, 'globex', running.id, OWNER, clock.now(), { status: 'succeeded' })), { code: 'NS_LEASE_LOST' });

        assert.deepEqual(await snapshot(k), before, 'no refused call changed a row');
        assert.equal((await engine.runs.get('acme', queued.acme.id)).id, queued.acme.id, 'its own tenant sees it');
        assert.equal((await engine.runs.get(ALL_TENANTS, queued.acme.id)).id, queued.acme.id, 'and so does the global view');
        assert.equal(await engine.runs.cancel('acme', queued.acme.id), 'cancelled');
        assert.equal((await engine.schedules.setEnabled('acme', 'acme-hourly', false)).enabled, 0);
        await engine.schedules.delete('acme', 'acme-hourly');
      } finally {
        await t.close();
      }
    });

    test("lists under a tenant hold only that tenant's rows; the global view holds both", async () => {
      const t = await openTestEngine(await target.make(), { jobs: [quick], schedules });
      try {
        const { engine } = t;
        const k = engine.db.k;
        await twoTenants(t);
        const tenantsOf = (rows: ReadonlyArray<{ tenant_id: string }>) => [...new Set(rows.map((r) => r.tenant_id))].sort();

        assert.deepEqual(tenantsOf(await listRuns(k, 'acme', { limit: 100 })), ['acme']);
        assert.equal((await listRuns(k, 'acme', { limit: 100 })).length, 2);
        assert.deepEqual(tenantsOf(await listRuns(k, ALL_TENANTS, { limit: 100 })), ['acme', 'globex']);
        assert.deepEqual(await countRunsByStatus(k, 'globex', { jobId: 'quick' }), { queued: 1, running: 1 });

        assert.deepEqual((await listSchedules(k, 'globex')).map((s) => s.id), ['globex-half']);
        assert.deepEqual((await listSchedules(k, ALL_TENANTS)).map((s) => s.id), ['acme-hourly', 'globex-half']);
        assert.equal(await nextDueAt(k, 'acme', 'quick'), Date.parse('2026-03-01T02:00:00Z'));
        assert.equal(await nextDueAt(k, 'globex', 'quick'), Date.parse('2026-03-01T01:30:00Z'));
        assert.equal(await nextDueAt(k, ALL_TENANTS, 'quick'), Date.parse('2026-03-01T01:30:00Z'));

        const acmeSlots = await listSlots(k, 'acme');
        assert.ok(acmeSlots.length > 0);
        assert.deepEqual(tenantsOf(acmeSlots), ['acme']);
        assert.deepEqual(tenantsOf(await listSlots(k, ALL_TENANTS)), ['acme', 'globex']);
        assert.deepEqual(await listSlots(k, 'globex', { scheduleId: 'acme-hourly' }), []);
        const fates = await countSlotsByFate(k, 'acme');
        assert.equal(Object.values(fates).reduce((a, b) => a + b, 0), acmeSlots.length);
        assert.deepEqual(await countSlotsByFate(k, 'globex', 'acme-hourly'), {});

        const acmeHealth = (await jobHealth(k, 'acme')).find((j) => j.jobId === 'quick');
        const allHealth = (await jobHealth(k, ALL_TENANTS)).find((j) => j.jobId === 'quick');
        assert.deepEqual([acmeHealth!.running, acmeHealth!.queued, acmeHealth!.nextRunAt], [1, 1, Date.parse('2026-03-01T02:00:00Z')]);
        assert.deepEqual([allHealth!.running, allHealth!.queued], [2, 2]);

        assert.deepEqual((await listModelDefinitions(k, 'acme')).map((m) => m.definition.name), ['failure']);
        assert.deepEqual((await engine.models.list('globex')).map((m) => m.definition.name), ['rul']);
        assert.deepEqual((await engine.models.list(ALL_TENANTS)).map((m) => `${m.tenantId}/${m.definition.name}`), ['acme/failure', 'globex/rul']);
      } finally {
        await t.close();
      }
    });
  });

  describe(`schedule ids stay with their tenant (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('redefining a schedule id under another tenant is refused, from config or API, live or deleted', async () => {
      const declared = schedule('hourly', 'quick');
      const moved = { ...declared, tenantId: 'globex' };
      const store = await target.make();
      const t = await openTestEngine(store, { jobs: [quick], schedules: [declared] });
      const { engine, clock } = t;
      const settings = engine.settings;
      try {
        const restart = (s = [moved]) => syncDefinitions(engine.db, { ...settings, schedules: s }, clock.now());
        const row = await getScheduleRow(engine.db.k, 'acme', 'hourly');

        await assert.rejects(engine.schedules.upsert(moved), ownedBy('acme', false));
        await assert.rejects(restart(), ownedBy('acme', false));
        assert.deepEqual(await getScheduleRow(engine.db.k, ALL_TENANTS, 'hourly'), row, 'the live schedule is untouched');

        // A deleted schedule keeps its id (and history) with its tenant: reviving it elsewhere is refused too.
        await engine.schedules.delete('acme', 'hourly');
        const tombstone = await getScheduleRow(engine.db.k, ALL_TENANTS, 'hourly', true);
        await assert.rejects(engine.schedules.upsert(moved), ownedBy('acme', true));
        await assert.rejects(restart(), ownedBy('acme', true));
        assert.deepEqual(await getScheduleRow(engine.db.k, ALL_TENANTS, 'hourly', true), tombstone, 'the tombstone is untouched');
        assert.equal((await engine.schedules.upsert(declared)).result, 'created', 'its own tenant may revive it');
      } finally {
        await t.close();
      }
      // At start-up, a config file that moves the id stops the engine with the same error.
      await assert.rejects(Engine.open({ settings: { ...settings, schedules: [moved] }, clock }), ownedBy('acme', false));
    });
  });
}
