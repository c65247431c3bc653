/**
 * Declared models behave like every other job:
 *  - a model declared over the API gets its nightly schedule (ML_TRAINING_SCHEDULE, in its tenant's
 *    zone) at once, and that schedule fires;
 *  - a model's train job may run `after:` a tenant's data jobs (seed 002), and a failed training
 *    never blocks the next data cycle;
 *  - a library user's start() prepares the declared datasets and first trainings as `serve` does.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { createNightshift } from '../../src/index.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { body, openTestApi, waitForRunEnd } from '../helpers/api.ts';
import { tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL } from '../fixtures/training/fleet.ts';
import { syntheticSchema } from '../../src/data/synthetic/index.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const DATASET = (() => {
  const s = syntheticSchema('acme', 'fails_within_24h', 'machines');
  return { entityKey: s.entityKey, timestamp: s.timestamp, features: s.features, label: s.label };
})();

describe('declared models', { timeout: 120_000 }, () => {
  test('a model declared over the API gets its nightly schedule at once, in its tenant zone, and it fires', async () => {
    const t = await openTestApi({ start: '2026-03-01T12:00:00Z' });
    try {
      const put = (url: string, payload: unknown) => t.app.inject({ method: 'PUT', url, payload: payload as Record<string, unknown> });
      assert.equal((await put('/api/tenants/globex/datasets/machines', DATASET)).statusCode, 201);
      const created = await put('/api/tenants/globex/models/failure', { ...FAILURE_MODEL, name: undefined });
      assert.equal(created.statusCode, 201, created.body);

      const { schedules } = body<{ schedules: Array<{ id: string; cron: string; timezone: string; enabled: boolean; nextRuns: string[] }> }>(
        await t.app.inject({ url: '/api/schedules?tenantId=globex&jobId=train-failure' }),
      );
      assert.equal(schedules.length, 1, 'one schedule, made when the model was declared');
      assert.deepEqual([schedules[0]!.id, schedules[0]!.cron, schedules[0]!.timezone, schedules[0]!.enabled], ['globex.train-failure', '0 2 * * *', 'Europe/London', true]);
      assert.equal(schedules[0]!.nextRuns[0], '2026-03-02T02:00:00.000Z', "02:00 in Europe/London (GMT in March)");

      // Declaring it again (an update) adds nothing.
      assert.equal((await put('/api/tenants/globex/models/failure', { ...FAILURE_MODEL, name: undefined, holdoutFraction: 0.3 })).statusCode, 200);
      assert.equal((await t.engine.schedules.list('globex', { jobId: 'train-failure' })).length, 1);

      t.clock.set('2026-03-02T02:00:01Z');
      await t.engine.scheduler.tick();
      const [run] = await t.engine.runs.list('globex', { jobId: 'train-failure' });
      assert.equal(run?.trigger, 'slot', 'the 2 AM slot queued a training');
    } finally {
      await t.close();
    }
  });

  test("a model's training runs after the tenant's data job, and its failure never blocks the next data cycle", async () => {
    const dir = tempDir('ns-after-');
    const config = path.join(dir, 'nightshift.yaml');
    writeFileSync(
      config,
      [
        'tenants: [{ id: acme }]',
        'datasets: [{ id: machines, schema: predictive-maintenance }]',
        'jobs:',
        '  - { id: etl, kind: command, command: node, args: ["-e", "0"] }',
        'models:',
        // Its dataset does not exist: every training fails at once.
        '  - { name: failure, task: binary, dataset: absent, features: { continuous: [temperature] }, after: [etl], retry: { retries: 0 } }',
        '',
      ].join('\n'),
    );
    const settings = loadSettings({ configPath: config, env: { NIGHTSHIFT_DATA_DIR: dir, NIGHTSHIFT_LOG_LEVEL: 'silent' } });
    assert.deepEqual(settings.jobs.find((j) => j.id === 'train-failure')?.after, ['etl']);
    const t = await openTestApi({ ...settings, clock: { now: () => Date.now() } });
    try {
      t.engine.workers.lifecycle.to('running');
      for (const cycle of [1, 2]) {
        const etl = await t.engine.runs.trigger('etl', 'acme');
        const queuedTraining = t.engine.events.waitFor('run:queued', (p) => p.run.job_id === 'train-failure', 30_000);
        await t.engine.workers.claimAndStart();
        assert.equal((await waitForRunEnd(t.engine, etl.id, 30_000)).status, 'succeeded', `data cycle ${cycle} ran`);
        const training = (await queuedTraining).run;
        assert.equal(training.trigger, 'dependency');
        await t.engine.workers.claimAndStart();
        const ended = await waitForRunEnd(t.engine, training.id, 60_000);
        assert.equal(ended.status, 'failed', `training ${cycle} fails (${ended.error_message})`);
        assert.equal(ended.error_code, 'NS_NOT_FOUND', 'with its own error code, not a line of text');
      }
      const etlRuns = await t.engine.runs.list(ALL_TENANTS, { jobId: 'etl' });
      assert.deepEqual(etlRuns.map((r) => r.status), ['succeeded', 'succeeded'], 'the second data cycle ran after the failed training');
    } finally {
      await t.close();
    }
  });

  test("a library user's start() creates the declared datasets and queues the first trainings, as serve does", async () => {
    const dir = tempDir('ns-lib-boot-');
    const config = path.join(dir, 'nightshift.yaml');
    writeFileSync(
      config,
      [
        'tenants: [{ id: acme }]',
        'datasets: [{ id: machines, schema: predictive-maintenance, generate: { days: 10, machines: 3 } }]',
        'models:',
        '  - { name: failure, task: binary, dataset: machines, features: { continuous: [temperature, vibration] }, trainOnStart: true }',
        '',
      ].join('\n'),
    );
    const ns = await createNightshift({ config, env: { NIGHTSHIFT_DATA_DIR: dir, NIGHTSHIFT_LOG_LEVEL: 'silent' } });
    try {
      const queued = ns.engine.events.waitFor('run:queued', (p) => p.run.job_id === 'train-failure', 60_000);
      ns.start();
      const { run } = await queued;
      assert.equal(run.tenant_id, 'acme');
      const dataset = await ns.engine.data.describe('acme', 'machines');
      assert.ok(dataset.samples.count > 0, 'the declared dataset was created and filled');
    } finally {
      await ns.stop(0);
    }
  });
});
