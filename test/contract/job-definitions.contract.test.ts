/** Stored job definitions: read back as declared, parsed once per stored text, shared read-only. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getJob, listJobs, upsertJob } from '../../src/store/jobs.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { commandJob } from '../helpers/settings.ts';

for (const target of await storeTargets()) {
  describe(`job definitions (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('a definition is parsed once per stored text, frozen, and read again when it changes', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [commandJob('report', 'node', ['-e', '0'])] });
      try {
        const k = t.engine.db.k;
        const first = (await listJobs(k)).find((j) => j.id === 'report');
        assert.ok(first);
        assert.equal((await listJobs(k)).find((j) => j.id === 'report'), first, 'unchanged text: the same object');
        assert.equal(await getJob(k, 'report'), first);
        assert.ok(Object.isFrozen(first) && Object.isFrozen(first.env), 'shared, so frozen all the way down');
        assert.throws(() => {
          (first as { timeoutMs: number }).timeoutMs = 1;
        }, TypeError);
        await upsertJob(k, { ...first, timeoutMs: 5_000, env: { A: '1' } }, t.clock.now());
        const changed = await getJob(k, 'report');
        assert.notEqual(changed, first);
        assert.equal(changed?.timeoutMs, 5_000);
        assert.deepEqual(changed?.env, { A: '1' });
        assert.equal(first.timeoutMs, 60_000, 'the earlier object is untouched');
      } finally {
        await t.close();
      }
    });

    test('a definition stored with retry.attempts (the first attempt included) is read as attempts − 1 retries', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [commandJob('report', 'node', ['-e', '0'])] });
      try {
        const k = t.engine.db.k;
        const stored = { ...(await getJob(k, 'report'))!, retry: { attempts: 3, backoffMs: [300_000], jitterRatio: 0.1 } };
        await k.updateTable('jobs').set({ spec: JSON.stringify(stored) }).where('id', '=', 'report').execute();
        assert.deepEqual((await getJob(k, 'report'))?.retry, { retries: 2, backoffMs: [300_000], jitterRatio: 0.1 });
        const run = await t.engine.runs.trigger('report', 'acme');
        assert.equal(run.max_attempts, 3, 'the same allowance as before');
      } finally {
        await t.close();
      }
    });
  });
}
