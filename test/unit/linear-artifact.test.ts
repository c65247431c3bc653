import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { LinearModel, trainLinear, type LinearBody } from '../../src/trainers/linear/index.ts';
import { seededRandom } from '../../src/trainers/random.ts';
import type { FeatureInfo, ModelArtifact, TrainingSet } from '../../src/trainers/types.ts';

function mixedSet(rows: number, seed: number): TrainingSet {
  const random = seededRandom(seed);
  const features: FeatureInfo[] = [
    { name: 'temp', type: 'numeric' },
    { name: 'site', type: 'categorical', categories: ['north', 'south'] },
    { name: 'load', type: 'numeric' },
  ];
  const columns = [
    Float64Array.from({ length: rows }, () => (random() < 0.1 ? Number.NaN : 20 + 10 * random())),
    Float64Array.from({ length: rows }, (_, i) => i % 2),
    Float64Array.from({ length: rows }, () => 1000 * random()),
  ];
  const y = Float64Array.from({ length: rows }, (_, i) => (random() < 0.3 + 0.4 * (i % 2) ? 1 : 0));
  return { features, X: { rows, columns }, y };
}

const jsonRoundTrip = (a: ModelArtifact): ModelArtifact => JSON.parse(JSON.stringify(a)) as ModelArtifact;

describe('LinearModel artifacts', () => {
  it('round-trips through JSON and predicts identically', async () => {
    const set = mixedSet(500, 1);
    const spec = { version: 1, steps: ['impute'] };
    const model = await trainLinear(set, { task: 'binary', epochs: 5 }, { seed: 1 }, { featureSpec: spec });
    const artifact = jsonRoundTrip(model.toArtifact());
    assert.equal(artifact.format, 'nightshift-model');
    assert.equal(artifact.version, 1);
    assert.equal(artifact.kind, 'linear');
    assert.equal(artifact.task, 'binary');
    assert.equal('createdAt' in artifact, false, 'deterministic: no training time in the artifact');
    assert.deepEqual(artifact.featureSpec, spec);
    assert.deepEqual(artifact.features, set.features);
    assert.deepEqual(Object.keys(artifact.body as object).sort(), ['bias', 'mean', 'std', 'task', 'weights']);
    assert.equal(artifact.params.epochs, 5);

    const loaded = LinearModel.fromArtifact(artifact);
    assert.deepEqual(loaded.predict(set.X), model.predict(set.X));
    assert.deepEqual(jsonRoundTrip(loaded.toArtifact()), artifact);
  });

  it('loads into a model that can continue training (the stored standardiser is reused)', async () => {
    const model = await trainLinear(mixedSet(300, 2), { task: 'binary', epochs: 3 }, { seed: 1 });
    const loaded = LinearModel.fromArtifact(jsonRoundTrip(model.toArtifact()));
    const next = mixedSet(300, 3);
    const a = await model.partialFit(next, { seed: 9 });
    const b = await loaded.partialFit(next, { seed: 9 });
    assert.deepEqual(a.coefficients(), b.coefficients());
  });

  it('rejects malformed artifacts with NS_VALIDATION naming the field', async () => {
    const good = (await trainLinear(mixedSet(50, 4), { task: 'regression', epochs: 1 }, { seed: 1 })).toArtifact();
    const body = good.body as LinearBody;
    const cases: Array<[ModelArtifact, string]> = [
      [{ ...good, kind: 'gbdt' }, 'artifact.kind'],
      [{ ...good, version: 2 as 1 }, 'artifact.version'],
      [{ ...good, body: { ...body, weights: body.weights.slice(1) } }, 'artifact.body.weights'],
      [{ ...good, body: { ...body, std: body.std.map(() => 0) } }, 'artifact.body.std'],
      [{ ...good, body: { ...body, bias: null } }, 'artifact.body.bias'],
      [{ ...good, body: { ...body, task: 'binary' } }, 'artifact.body.task'],
      [{ ...good, params: { ...good.params, epochs: -1 } }, 'epochs'],
    ];
    for (const [artifact, field] of cases) {
      assert.throws(() => LinearModel.fromArtifact(artifact), (e) => e instanceof NsError && e.code === 'NS_VALIDATION' && e.field === field, field);
    }
  });
});
