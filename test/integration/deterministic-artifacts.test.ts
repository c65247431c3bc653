/**
 * A training on unchanged data with the same seed produces the same artifact, byte for byte: two
 * trainings through the pipeline (the train job's child process) register versions with the same
 * sha256, for the GBDT and the linear trainer, so retraining on unchanged data adds no artifact.
 * Artifacts written before (with a createdAt) still load and predict the same.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import { loadPredictor, predictRows } from '../../src/serving/predictor.ts';
import { artifactBytes } from '../../src/training/artifact-bytes.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { waitForRunEnd } from '../helpers/api.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL, fillFleet } from '../fixtures/training/fleet.ts';

function declare(trainer: Record<string, unknown>): { models: DeclaredModel[]; jobs: TrainJob[] } {
  const definition = parseModelDefinition({ ...FAILURE_MODEL, mode: 'full', trainer, gate: { thresholds: { auc: 0.5 } } });
  const job: TrainJob = {
    id: 'train-failure', kind: 'train', model: 'failure', description: '', role: 'training', tenants: ['acme'], after: [], env: {},
    timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 },
  };
  return { models: [{ tenants: ['acme'], jobId: job.id, definition }], jobs: [job] };
}

for (const [name, trainer] of [
  ['gbdt', { kind: 'gbdt', params: { numTrees: 15, maxLeaves: 15 } }],
  ['linear', { kind: 'linear', params: { epochs: 3 } }],
] as const) {
  describe(`${name}: two trainings on the same data`, () => {
    test('register versions with the same artifact sha256; an artifact with a createdAt (written before) loads and predicts the same', { timeout: 120_000 }, async () => {
      const t = await openTestEngine({ dialect: 'sqlite', dataDir: tempDir('ns-determinism-'), databaseUrl: null }, { ...declare(trainer), clock: { now: () => Date.now() } });
      try {
        await fillFleet(t.engine.db, 'acme', { machines: 4, days: 10, endMs: Date.now() });
        t.engine.workers.lifecycle.to('running');
        const train = async () => {
          const run = await t.engine.runs.trigger('train-failure', 'acme');
          await t.engine.workers.claimAndStart();
          const done = await waitForRunEnd(t.engine, run.id, 90_000);
          assert.equal(done.status, 'succeeded', done.log_tail ?? '');
          const version = await t.engine.models.registry.versionOfRun('acme', run.id);
          assert.ok(version, `run ${run.id} registered a version (${done.outcome})`);
          return version;
        };
        const first = await train();
        const second = await train();
        assert.equal(second.version, first.version + 1);
        assert.equal(second.artifact.sha256, first.artifact.sha256, 'same data, same seed: same artifact');

        const { bytes } = await t.engine.models.registry.loadArtifact('acme', 'failure', first.version);
        const artifact = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
        assert.equal('createdAt' in artifact, false, 'the version row has its own created_at');
        const older = Buffer.from(JSON.stringify({ ...artifact, createdAt: '2026-01-01T00:00:00.000Z' }));
        const rows = [{ entity: 'm-001', ts: Date.now(), values: { model: 'M200', temperature: 88.5, vibration: 4.9, pressure: 121, rpm: 1790 }, label: null }];
        const [now, before] = await Promise.all([loadPredictor(bytes), loadPredictor(older)]);
        assert.deepEqual(await predictRows(before, rows), await predictRows(now, rows));
      } finally {
        await t.close();
      }
    });
  });
}

test('artifact bytes do not depend on the order keys were given in (params declared in another order), arrays keep theirs', () => {
  const a = artifactBytes({ kind: 'gbdt', params: { numTrees: 10, maxLeaves: 8, objective: 'binary_logloss', seed: 3 }, body: { trees: [{ value: [1, 2], feature: [0, -1] }] } });
  const b = artifactBytes({ body: { trees: [{ feature: [0, -1], value: [1, 2] }] }, params: { seed: 3, objective: 'binary_logloss', maxLeaves: 8, numTrees: 10 }, kind: 'gbdt' });
  assert.deepEqual(a, b);
  assert.equal(a.toString(), '{"body":{"trees":[{"feature":[0,-1],"value":[1,2]}]},"kind":"gbdt","params":{"maxLeaves":8,"numTrees":10,"objective":"binary_logloss","seed":3}}');
});
