/** `kind: empty`: a run with no work goes through the same queue, history and dependencies, without a process. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { commandJob, emptyJob, schedule } from '../helpers/settings.ts';

for (const target of await storeTargets()) {
  describe(`empty jobs (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('a run is claimed and succeeds with no process, and its dependents run after it', async () => {
      const downstream = commandJob('etl', process.execPath, ['-e', '0'], { after: ['nightly'] });
      const t = await openTestEngine(await target.make(), { jobs: [emptyJob('nightly'), downstream] });
      const spawned: string[] = [];
      t.engine.events.on('run:spawned', ({ runId }) => spawned.push(runId));
      try {
        t.engine.workers.lifecycle.to('running');
        const queued = await t.engine.runs.trigger('nightly', 'acme');
        const finished = t.engine.events.waitFor('run:finished', (p) => p.run.id === queued.id);
        const next = t.engine.events.waitFor('run:queued', (p) => p.run.job_id === 'etl');
        assert.equal(await t.engine.workers.claimAndStart(), 1);
        const { run } = await finished;
        assert.equal(run.status, 'succeeded');
        assert.equal(run.pid, null, 'no process was started');
        assert.equal(run.exit_code, null);
        assert.equal(run.attempt, 1);
        assert.ok(run.started_at !== null && run.finished_at !== null && run.lease_owner === null, 'claimed under a lease, then released');
        assert.deepEqual(spawned, []);

        const { run: etl } = await next;
        assert.equal(etl.trigger, 'dependency');
        assert.equal(etl.parent_run_id, run.id);
        const etlDone = t.engine.events.waitFor('run:finished', (p) => p.run.id === etl.id);
        await t.engine.workers.claimAndStart();
        assert.equal((await etlDone).run.status, 'succeeded');
        assert.deepEqual(spawned, [etl.id], 'only the command job started a process');
      } finally {
        await t.close();
      }
    });

    test('a slot of a scheduled empty job fires once and its run succeeds from the claim', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [emptyJob('nightly')], schedules: [schedule('hourly', 'nightly')] });
      try {
        t.engine.workers.lifecycle.to('running');
        t.clock.set('2026-03-01T01:00:00.100Z');
        const tick = await t.engine.scheduler.tick();
        assert.equal(tick.fired, 1);
        const claimed = t.engine.events.waitFor('run:claimed', () => true);
        const finished = t.engine.events.waitFor('run:finished', () => true);
        await t.engine.workers.claimAndStart();
        const [{ run: atClaim }, { run }] = await Promise.all([claimed, finished]);
        assert.equal(atClaim.status, 'running');
        assert.equal(run.id, atClaim.id);
        assert.equal(run.trigger, 'slot');
        assert.equal(run.slot_at, Date.parse('2026-03-01T01:00:00Z'));
        assert.equal(run.status, 'succeeded');
      } finally {
        await t.close();
      }
    });
  });
}
