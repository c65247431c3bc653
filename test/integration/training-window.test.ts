/**
 * The training window as the pipeline reads it from the store (columns) and as other sources give
 * it (rows): the same training set, the same champion features when the champion's spec differs
 * from the declaration's, and a retraining after the declaration changed scores its champion.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import { fitFeatureSpec, parseFeatureSpec } from '../../src/data/features/index.ts';
import { requireDataset } from '../../src/data/ingest/dataset-service.ts';
import type { Engine } from '../../src/engine.ts';
import { datasetSchemaOf } from '../../src/store/datasets.ts';
import { inTransaction, LOCK_KEYS } from '../../src/store/db.ts';
import { upsertModelDefinition } from '../../src/store/model-definitions.ts';
import { claimRuns } from '../../src/store/run-transitions.ts';
import { loadSampleColumns, loadSamples } from '../../src/store/sample-window.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { timeHoldout } from '../../src/trainers/holdout.ts';
import type { ArtifactModel } from '../../src/training/artifact-model.ts';
import { championMatrix, rowsSince } from '../../src/training/holdout-scoring.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { executeTrainingRun } from '../../src/training/training-run.ts';
import { buildWindowSet, type TrainingWindow } from '../../src/training/training-window.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL, fillFleet, fleetCsv } from '../fixtures/training/fleet.ts';

const sqlite = () => ({ dialect: 'sqlite' as const, dataDir: tempDir('ns-train-window-'), databaseUrl: null });
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

/** The declaration's features, then ones the champion was trained with: lags, a rolling window, another column. */
const CHAMPION_FEATURES = {
  continuous: ['temperature', 'load'],
  categorical: ['model'],
  lags: [{ column: 'vibration', lagSeconds: 7_200 }],
  rolling: [{ column: 'temperature', windowSeconds: 21_600, stats: ['mean', 'max'] }],
};

function declare(): { models: DeclaredModel[]; jobs: TrainJob[] } {
  const definition = parseModelDefinition({ ...FAILURE_MODEL, mode: 'full', trainer: { kind: 'gbdt', params: { numTrees: 20, maxLeaves: 15 } }, gate: { change: false } });
  const job: TrainJob = {
    id: 'train-failure', kind: 'train', model: 'failure', description: '', role: 'training', tenants: ['acme'], after: [], env: {},
    timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 },
  };
  return { models: [{ tenants: ['acme'], jobId: job.id, definition }], jobs: [job] };
}

async function train(engine: Engine, threads: number) {
  const run = await engine.runs.trigger('train-failure', 'acme');
  const [claimed] = await inTransaction(engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: 'node-a', host: 'here', now: Date.now(), leaseMs: 60_000, limit: 1 }), { lock: LOCK_KEYS.claim });
  assert.equal(claimed?.id, run.id);
  const result = await executeTrainingRun(
    { db: engine.db, registry: engine.models.registry, now: () => Date.now(), defaultMode: 'full', workDir: tempDir(), killGraceMs: 1_000, niceness: 0 },
    { tenantId: 'acme', runId: run.id, owner: 'node-a', attempt: claimed.attempt, threads },
  );
  // What the worker would record at the end (single flight: the next training needs this one ended).
  await engine.db.k.updateTable('runs').set({ status: 'succeeded', finished_at: Date.now(), lease_owner: null }).where('id', '=', run.id).execute();
  return result;
}

describe('the training window: columns from the store, rows from other sources', { timeout: 180_000 }, () => {
  test("a champion with its own spec gets the same holdout features from the window's columns as from its rows", async () => {
    const t = await openTestEngine(sqlite(), { ...declare(), clock: { now: () => Date.now() } });
    try {
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      const schema = datasetSchemaOf(await requireDataset(t.engine.db.k, 'acme', 'machines'));
      const rows: TrainingWindow = { kind: 'rows', samples: await loadSamples(t.engine.db.k, 'acme', 'machines', ALL) };
      const columns: TrainingWindow = { kind: 'columns', columns: await loadSampleColumns(t.engine.db.k, 'acme', 'machines', ALL, { threads: 2 }) };
      const spec = parseFeatureSpec(FAILURE_MODEL.features);
      const built = buildWindowSet(columns, spec, schema);
      assert.deepEqual(built, buildWindowSet(rows, spec, schema));
      const since = built.ts![Math.floor(built.ts!.length / 4)]!;
      const fresh = rowsSince(built, since);
      const { valid } = timeHoldout(fresh, 0.2);
      const champion = { featureSpec: fitFeatureSpec(parseFeatureSpec(CHAMPION_FEATURES), rows.samples) } as ArtifactModel;
      const fromColumns = championMatrix(champion, built, columns, schema, valid, fresh);
      assert.equal(fromColumns.rows, valid.X.rows);
      assert.equal(fromColumns.columns.length, 6);
      assert.deepEqual(fromColumns, championMatrix(champion, built, rows, schema, valid, fresh));
    } finally {
      await t.close();
    }
  });

  test('a model reading the same samples from a CSV file (rows) trains the same candidate as from the store (columns)', async () => {
    const t = await openTestEngine(sqlite(), { ...declare(), clock: { now: () => Date.now() } });
    try {
      const samples = await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      const fromStore = await train(t.engine, 1);
      assert.equal(fromStore.outcome, 'promoted', fromStore.message);
      const dir = tempDir();
      writeFileSync(join(dir, 'acme.csv'), fleetCsv(samples));
      const path = join(dir, '{tenant}.csv');
      const csv = parseModelDefinition({ ...FAILURE_MODEL, source: { kind: 'csv', path }, mode: 'full', trainer: { kind: 'gbdt', params: { numTrees: 20, maxLeaves: 15 } }, gate: { change: false } });
      await inTransaction(t.engine.db, (x) => upsertModelDefinition(x, 'acme', csv, 'train-failure', 'config', Date.now()));
      const fromCsv = await train(t.engine, 1);
      const counts = (r: typeof fromStore, stage: string) => r.stages.find((s) => s.stage === stage)!.counts;
      assert.deepEqual(counts(fromCsv, 'load'), counts(fromStore, 'load'));
      assert.deepEqual(counts(fromCsv, 'features'), counts(fromStore, 'features'));
      const candidate = (r: typeof fromStore) => Object.entries(counts(r, 'evaluate')).filter(([k]) => k.startsWith('candidate.'));
      assert.deepEqual(candidate(fromCsv), candidate(fromStore), 'same rows, same model, same holdout metrics');
    } finally {
      await t.close();
    }
  });

  test('a retraining after the declaration changed scores the champion with its own features', async () => {
    const t = await openTestEngine(sqlite(), { ...declare(), clock: { now: () => Date.now() } });
    try {
      await fillFleet(t.engine.db, 'acme', { endMs: Date.now() });
      const first = await train(t.engine, 2);
      assert.equal(first.outcome, 'promoted', first.message);
      const load = first.stages.find((s) => s.stage === 'load')!;
      const features = first.stages.find((s) => s.stage === 'features')!;
      assert.ok(load.counts.samples! > 0 && load.counts.windowDays === 180, JSON.stringify(load.counts));
      assert.equal(features.counts.labeled! + features.counts.unlabeled!, load.counts.samples);
      assert.equal(features.counts.features, 5);

      const changed = parseModelDefinition({ ...FAILURE_MODEL, features: CHAMPION_FEATURES, mode: 'full', trainer: { kind: 'gbdt', params: { numTrees: 20, maxLeaves: 15 } }, gate: { change: false } });
      await inTransaction(t.engine.db, (x) => upsertModelDefinition(x, 'acme', changed, 'train-failure', 'config', Date.now()));
      const second = await train(t.engine, 1);
      assert.ok(second.outcome === 'promoted' || second.outcome === 'rejected', second.message);
      const evaluate = second.stages.find((s) => s.stage === 'evaluate')!;
      assert.equal(second.stages.find((s) => s.stage === 'features')!.counts.features, 6);
      assert.ok(evaluate.counts['champion.auc']! > 0.5, `the champion was scored: ${JSON.stringify(evaluate.counts)}`);
    } finally {
      await t.close();
    }
  });
});
