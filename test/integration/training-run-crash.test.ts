/**
 * A training's writes belong to the attempt that holds its run's lease, and a run registers at most
 * one version and promotes at most once however often it is retried:
 *  - a training process whose lease is taken from it mid-training (its node declared dead, the run
 *    claimed by another) registers nothing;
 *  - an attempt that registered and promoted, and whose node then died before the end was recorded,
 *    is followed by an attempt that finishes with that version instead of training again;
 *  - an attempt that registered and died before promoting is followed by one that promotes it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import type { Engine } from '../../src/engine.ts';
import { inTransaction, LOCK_KEYS } from '../../src/store/db.ts';
import { claimRuns, recoverExpiredLeases } from '../../src/store/run-transitions.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { executeTrainingRun } from '../../src/training/training-run.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import type { TrainingResult } from '../../src/training/result-file.ts';
import { waitForRunEnd } from '../helpers/api.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL, fillFleet } from '../fixtures/training/fleet.ts';

const sqlite = () => ({ dialect: 'sqlite' as const, dataDir: tempDir('ns-train-crash-'), databaseUrl: null });

function declare(trees = 30): { models: DeclaredModel[]; jobs: TrainJob[] } {
  const definition = parseModelDefinition({ ...FAILURE_MODEL, mode: 'full', trainer: { kind: 'gbdt', params: { numTrees: trees, maxLeaves: 15 } } });
  const job: TrainJob = {
    id: 'train-failure', kind: 'train', model: 'failure', description: '', role: 'training', tenants: ['acme'], after: [], env: {},
    timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 },
  };
  return { models: [{ tenants: ['acme'], jobId: job.id, definition }], jobs: [job] };
}

/** Claims the run as another node would, with a short lease, and returns its attempt. */
async function claimAs(engine: Engine, owner: string, now: number): Promise<number> {
  const [run] = await inTransaction(engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner, host: 'elsewhere', now, leaseMs: 1_000, limit: 1 }), { lock: LOCK_KEYS.claim });
  assert.ok(run, 'claimed');
  return run.attempt;
}

/** What the training process of `owner`'s attempt does, as a library call in this process. */
function trainAs(engine: Engine, runId: string, owner: string, attempt: number): Promise<TrainingResult> {
  return executeTrainingRun(
    { db: engine.db, registry: engine.models.registry, now: () => Date.now(), defaultMode: 'full', workDir: tempDir(), killGraceMs: 1_000, niceness: 0 },
    { tenantId: 'acme', runId, owner, attempt, threads: 1 },
  );
}

/** The run's lease runs out (its node is gone) and recovery puts it back in the queue, due now. */
async function expireAndRecover(engine: Engine, runId: string) {
  await engine.db.k.updateTable('runs').set({ lease_expires_at: Date.now() - 1 }).where('id', '=', runId).execute();
  return inTransaction(engine.db, (x) => recoverExpiredLeases(x, ALL_TENANTS, { now: Date.now(), maxRecoveries: 10 }));
}

async function versionsOf(engine: Engine) {
  return (await engine.models.registry.listVersions('acme', 'failure')).items;
}

describe('training runs and lost leases', { timeout: 180_000 }, () => {
  test('a training process whose lease is taken mid-training registers nothing', async () => {
    // No heartbeat during the training: the service would otherwise notice the stolen lease and stop the process itself.
    const t = await openTestEngine(sqlite(), { ...declare(300), clock: { now: () => Date.now() }, heartbeatMs: 60_000, leaseMs: 120_000 });
    try {
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      t.engine.workers.lifecycle.to('running');
      const run = await t.engine.runs.trigger('train-failure', 'acme');
      const stderr: string[] = [];
      const off = t.engine.events.on('run:line', (p) => p.runId === run.id && p.stream === 'stderr' && stderr.push(p.line));
      const training = t.engine.events.waitFor('run:line', (p) => p.runId === run.id && p.line.startsWith('features:'), 60_000);
      const spawned = t.engine.events.waitFor('run:spawned', (p) => p.runId === run.id, 60_000);
      await t.engine.workers.claimAndStart();
      await spawned;
      await training;
      // Another node recovers the run and claims it (a new attempt under its own lease) while this one trains.
      await t.engine.db.k.updateTable('runs').set({ lease_owner: 'node-b', attempt: run.attempt + 2 }).where('id', '=', run.id).execute();
      await t.engine.workers.close(60_000);
      off();
      assert.equal((await versionsOf(t.engine)).length, 0, 'no version was registered');
      assert.equal(await t.engine.models.registry.champion('acme', 'failure'), null);
      assert.ok(stderr.some((l) => l.includes('NS_LEASE_LOST')), `the process said why: ${stderr.join(' | ')}`);
    } finally {
      await t.close();
    }
  });

  test('an attempt that registered and promoted, then lost its node, is finished by the next attempt without training again', async () => {
    const t = await openTestEngine(sqlite(), { ...declare(), clock: { now: () => Date.now() } });
    try {
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      const run = await t.engine.runs.trigger('train-failure', 'acme');
      const first = await trainAs(t.engine, run.id, 'node-a', await claimAs(t.engine, 'node-a', Date.now()));
      assert.equal(first.outcome, 'promoted');
      // node-a dies before recording the end: its lease expires and the run is requeued.
      const recovered = await expireAndRecover(t.engine, run.id);
      assert.equal(recovered[0]?.requeued, true);

      t.engine.workers.lifecycle.to('running');
      await t.engine.workers.claimAndStart();
      const done = await waitForRunEnd(t.engine, run.id, 60_000);
      assert.equal(done.status, 'succeeded', done.log_tail ?? '');
      assert.equal(done.outcome, 'promoted');
      const result = JSON.parse(done.result!) as TrainingResult;
      assert.equal(result.resumed, true, 'finished with the version of the earlier attempt');
      assert.deepEqual(result.version, first.version);
      assert.equal((await versionsOf(t.engine)).length, 1, 'one version for the run');
      assert.equal((await t.engine.models.history('acme', 'failure')).length, 1, 'promoted once');
    } finally {
      await t.close();
    }
  });

  test('an attempt that registered and died before promoting is followed by one that promotes that version', async () => {
    const t = await openTestEngine(sqlite(), { ...declare(), clock: { now: () => Date.now() } });
    try {
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      const run = await t.engine.runs.trigger('train-failure', 'acme');
      const attempt = await claimAs(t.engine, 'node-a', Date.now());
      // The lease is taken from node-a as it starts to promote: its promotion is refused, its version stays.
      const registry = t.engine.models.registry;
      const promote = registry.promote.bind(registry);
      registry.promote = async (...args) => {
        await t.engine.db.k.updateTable('runs').set({ lease_owner: 'gone' }).where('id', '=', run.id).execute();
        return promote(...args);
      };
      await assert.rejects(trainAs(t.engine, run.id, 'node-a', attempt), { code: 'NS_LEASE_LOST' });
      registry.promote = promote;
      assert.equal((await versionsOf(t.engine)).length, 1);
      assert.equal(await registry.champion('acme', 'failure'), null, 'not promoted by the attempt that lost its lease');

      await expireAndRecover(t.engine, run.id);
      t.engine.workers.lifecycle.to('running');
      await t.engine.workers.claimAndStart();
      const done = await waitForRunEnd(t.engine, run.id, 60_000);
      assert.equal(done.outcome, 'promoted', done.log_tail ?? '');
      assert.equal((JSON.parse(done.result!) as TrainingResult).resumed, true);
      assert.equal((await versionsOf(t.engine)).length, 1);
      assert.equal((await registry.champion('acme', 'failure'))?.runId, run.id);
    } finally {
      await t.close();
    }
  });
});
