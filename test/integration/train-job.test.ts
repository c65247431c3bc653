/**
 * The `train` job kind through the run engine, with the real training child process: a first
 * training is promoted; a candidate trained on corrupted labels is rejected by the gate and the
 * champion stays; an incremental run continues from the champion; a model not declared for the
 * tenant fails with a clear error; on PostgreSQL the artifact goes into the database.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import { createArtifactStorage, ModelRegistry } from '../../src/registry/index.ts';
import { inTransaction, openDb } from '../../src/store/db.ts';
import { writeSamples } from '../../src/store/samples.ts';
import { Rng, syntheticSchema } from '../../src/data/synthetic/index.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { waitForRunEnd } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import type { Engine } from '../../src/engine.ts';
import { tempDir, tempDirSharingKey } from '../helpers/settings.ts';
import { FAILURE_MODEL, fillFleet, fleetSamples } from '../fixtures/training/fleet.ts';

const postgres = (await storeTargets()).find((t) => t.name === 'postgres')!;
const sqlite = () => ({ dialect: 'sqlite' as const, dataDir: tempDir('ns-train-job-'), databaseUrl: null });

function declare(extra: Record<string, unknown> = {}): { models: DeclaredModel[]; jobs: TrainJob[] } {
  const definition = parseModelDefinition({ ...FAILURE_MODEL, ...extra });
  const job: TrainJob = {
    id: 'train-failure', kind: 'train', model: 'failure', description: '', role: 'training', tenants: ['acme'], after: [], env: {},
    timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 },
  };
  return { models: [{ tenants: ['acme'], jobId: job.id, definition }], jobs: [job] };
}

const metricsOf = (run: { metrics: string | null }) => JSON.parse(run.metrics ?? '{}') as Record<string, number>;
const resultOf = (run: { result: string | null }) => JSON.parse(run.result ?? 'null') as { mode: string; outcome: string; trainer: string } | null;

/** The run's stage rows by stage name (its last attempt's). */
async function stagesOf(engine: Engine, run: { tenant_id: string; id: string }) {
  const rows = await engine.runs.stages(run.tenant_id, run.id);
  return new Map(rows.map((r) => [r.stage, { ...r, counts: JSON.parse(r.counts) as Record<string, number> }]));
}

describe('train jobs', () => {
  test('first training is promoted; corrupted labels are rejected by the gate; the champion stays', async () => {
    const t = await openTestEngine(sqlite(), { ...declare({ mode: 'full' }), clock: { now: () => Date.now() } });
    try {
      const registry = new ModelRegistry({ db: t.engine.db, artifacts: createArtifactStorage(t.engine.settings, t.engine.db) });
      const end = Date.now();
      await fillFleet(t.engine.db, 'acme', { endMs: end });
      t.engine.workers.lifecycle.to('running');

      const first = await t.engine.runs.trigger('train-failure', 'acme');
      await t.engine.workers.claimAndStart();
      const done = await waitForRunEnd(t.engine, first.id, 60_000);
      assert.equal(done.status, 'succeeded', done.log_tail ?? '');
      assert.equal(done.outcome, 'promoted');
      const m = metricsOf(done);
      const stages = await stagesOf(t.engine, done);
      assert.deepEqual([...stages.keys()], ['decide', 'load', 'features', 'train', 'evaluate', 'gate', 'register', 'promote'], 'one row per stage, in order');
      assert.ok(stages.get('load')!.counts.samples! > 1000, 'load stage counted its samples');
      assert.ok(stages.get('train')!.counts.trees === 30 && stages.get('train')!.duration_ms >= 0, 'train stage recorded');
      assert.ok(!Object.keys(m).some((k) => k.includes('.')), `no stage-prefixed metrics: ${Object.keys(m).join(', ')}`);
      assert.equal(resultOf(done)?.trainer, 'gbdt');
      assert.ok(m.auc! >= 0.7, `holdout AUC ${m.auc}`);
      const champion = await registry.champion('acme', 'failure');
      assert.equal(champion?.version, 1);
      assert.equal(champion?.name, 'failure_acme_v1');
      assert.equal(champion?.runId, first.id);
      assert.equal(champion?.gate.passed, true);

      // Corrupt every label: the candidate learns noise; the holdout is the latest 20 % of the window, so it is corrupted too
      // for both models — the absolute AUC threshold rejects the candidate.
      const schema = syntheticSchema('acme');
      const rng = new Rng(42);
      const noisy = fleetSamples({ endMs: end, seed: 7, map: (s) => ({ ...s, label: rng.next() < 0.3 ? 1 : 0 }) });
      await inTransaction(t.engine.db, (x) => writeSamples(x, schema, noisy));
      const second = await t.engine.runs.trigger('train-failure', 'acme');
      await t.engine.workers.claimAndStart();
      const rejected = await waitForRunEnd(t.engine, second.id, 60_000);
      assert.equal(rejected.status, 'succeeded', rejected.log_tail ?? '');
      assert.equal(rejected.outcome, 'rejected');
      assert.match(rejected.log_tail ?? '', /rejected by the gate: auc .* < minimum 0\.7/);
      const v2 = await registry.getVersion('acme', 'failure', 2);
      assert.equal(v2?.gate.passed, false, 'the rejected version is registered with its verdict');
      assert.equal((await registry.champion('acme', 'failure'))?.version, 1, 'the champion keeps serving');
    } finally {
      await t.close();
    }
  });

  test('incremental mode continues from the champion with more trees on the new rows', async () => {
    const t = await openTestEngine(sqlite(), { ...declare({ mode: 'incremental', incrementalTrees: 5 }), clock: { now: () => Date.now() } });
    try {
      const registry = new ModelRegistry({ db: t.engine.db, artifacts: createArtifactStorage(t.engine.settings, t.engine.db) });
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() - 3 * 86_400_000, days: 20 });
      t.engine.workers.lifecycle.to('running');
      const first = await t.engine.runs.trigger('train-failure', 'acme');
      await t.engine.workers.claimAndStart();
      const a = await waitForRunEnd(t.engine, first.id, 60_000);
      assert.equal(a.outcome, 'promoted', a.log_tail ?? '');
      assert.equal(resultOf(a)?.mode, 'full', 'no champion yet: a full training');

      // Three more days arrive; the next run continues from v1.
      const later = fleetSamples({ endMs: Date.now(), days: 3, seed: 8 });
      await inTransaction(t.engine.db, (x) => writeSamples(x, syntheticSchema('acme'), later));
      const second = await t.engine.runs.trigger('train-failure', 'acme');
      await t.engine.workers.claimAndStart();
      const b = await waitForRunEnd(t.engine, second.id, 60_000);
      assert.equal(b.status, 'succeeded', b.log_tail ?? '');
      assert.equal(resultOf(b)?.mode, 'incremental', b.log_tail ?? '');
      const [sa, sb] = [await stagesOf(t.engine, a), await stagesOf(t.engine, b)];
      assert.equal(sb.get('train')!.counts.trees, 35, b.log_tail ?? '');
      assert.ok(sb.get('features')!.counts.rows! < sa.get('features')!.counts.rows!, 'only the new rows are trained on');
      const v2 = await registry.getVersion('acme', 'failure', 2);
      assert.equal(v2?.mode, 'incremental');
      assert.equal(v2?.parentVersion, 1);
    } finally {
      await t.close();
    }
  });

  test('a training cancelled while it trains stops its process and registers nothing', async () => {
    const t = await openTestEngine(sqlite(), { ...declare({ mode: 'full', trainer: { kind: 'gbdt', params: { numTrees: 5000, maxLeaves: 31 } } }), clock: { now: () => Date.now() } });
    try {
      const registry = new ModelRegistry({ db: t.engine.db, artifacts: createArtifactStorage(t.engine.settings, t.engine.db) });
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      t.engine.workers.lifecycle.to('running');
      const run = await t.engine.runs.trigger('train-failure', 'acme');
      // The features stage has ended: the child is now growing trees.
      const training = t.engine.events.waitFor('run:line', (p) => p.runId === run.id && p.line.startsWith('features:'), 60_000);
      await t.engine.workers.claimAndStart();
      await training;
      assert.equal(await t.engine.runs.cancel(run.tenant_id, run.id, 'test cancels'), 'requested');
      const done = await waitForRunEnd(t.engine, run.id, 60_000);
      assert.equal(done.status, 'cancelled');
      assert.equal((await registry.listVersions('acme', 'failure')).items.length, 0, 'no version was registered');
      assert.equal(await registry.champion('acme', 'failure'), null);
    } finally {
      await t.close();
    }
  });

  test('a model not declared for the tenant fails at once, naming the model and the tenant', async () => {
    const decl = declare();
    decl.jobs[0] = { ...decl.jobs[0]!, tenants: null };
    const t = await openTestEngine(sqlite(), { ...decl, clock: { now: () => Date.now() } });
    try {
      t.engine.workers.lifecycle.to('running');
      const run = await t.engine.runs.trigger('train-failure', 'globex');
      await t.engine.workers.claimAndStart();
      const done = await waitForRunEnd(t.engine, run.id, 60_000);
      assert.equal(done.status, 'failed');
      assert.equal(done.attempt, 1, 'a permanent failure is not retried');
      assert.match(done.error_message ?? '', /model "failure" is not declared for tenant "globex"/);
    } finally {
      await t.close();
    }
  });

  test('on PostgreSQL the training child stores its artifact in the database: a node with an empty data dir serves it', { skip: postgres.skip && 'PostgreSQL unreachable', timeout: 90_000 }, async () => {
    const target = await postgres.make();
    const t = await openTestEngine(target, { ...declare({ mode: 'full' }), clock: { now: () => Date.now() } });
    const other = await openDb({ dataDir: tempDir(), databaseUrl: target.databaseUrl, poolSize: 2 });
    try {
      assert.equal(t.engine.settings.artifacts, 'postgres', 'the default with DATABASE_URL');
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      t.engine.workers.lifecycle.to('running');
      const run = await t.engine.runs.trigger('train-failure', 'acme');
      await t.engine.workers.claimAndStart();
      const done = await waitForRunEnd(t.engine, run.id, 60_000);
      assert.equal(done.outcome, 'promoted', done.log_tail ?? '');

      const elsewhere = new ModelRegistry({ db: other, artifacts: createArtifactStorage({ dataDir: tempDirSharingKey(target.dataDir), artifacts: 'postgres' }, other) });
      const champion = await elsewhere.loadChampion('acme', 'failure');
      assert.equal(champion?.version.version, 1);
      assert.equal(champion?.bytes.length, champion?.version.artifact.size);
      assert.equal(existsSync(join(target.dataDir, 'artifacts')), false, 'no artifact file on the training node');
    } finally {
      await other.close();
      await t.close();
    }
  });
});
