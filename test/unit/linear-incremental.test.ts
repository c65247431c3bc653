import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { subsetRows } from '../../src/trainers/holdout.ts';
import { trainLinear } from '../../src/trainers/linear/index.ts';
import { seededRandom } from '../../src/trainers/random.ts';
import type { TrainingSet, TrainProgress } from '../../src/trainers/types.ts';

/** y = bias + w·x + noise, x ~ U(−2, 2) × scale. */
function regression(rows: number, seed: number, w: number[], bias: number, noise = 0.3): TrainingSet {
  const random = seededRandom(seed);
  const columns = w.map((_, j) => Float64Array.from({ length: rows }, () => (4 * random() - 2) * (j + 1)));
  const y = Float64Array.from({ length: rows }, (_, i) => bias + w.reduce((s, wj, j) => s + wj * columns[j]![i]!, 0) + noise * (random() - 0.5));
  return { features: w.map((_, j) => ({ name: `x${j}`, type: 'numeric' as const })), X: { rows, columns }, y };
}

function concat(a: TrainingSet, b: TrainingSet): TrainingSet {
  const join = (p: Float64Array, q: Float64Array) => {
    const out = new Float64Array(p.length + q.length);
    out.set(p);
    out.set(q, p.length);
    return out;
  };
  return { features: a.features, X: { rows: a.X.rows + b.X.rows, columns: a.X.columns.map((c, j) => join(c, b.X.columns[j]!)) }, y: join(a.y, b.y) };
}

const W = [1.5, -2, 0.7];

describe('LinearModel.partialFit', () => {
  it('continues from the current weights: loss on the new data goes down', async () => {
    const old = regression(1000, 1, W, 4);
    const fresh = regression(1000, 2, [0.5, -1, 2], 3); // the relationship drifted
    const model = await trainLinear(old, { task: 'regression' }, { seed: 1 });
    const events: TrainProgress[] = [];
    const next = await model.partialFit(fresh, { seed: 2, onProgress: (p) => events.push(p) });
    assert.ok(next.loss(fresh) < 0.05 * model.loss(fresh), `${next.loss(fresh)} vs ${model.loss(fresh)}`);
    assert.equal(events.length, model.params.epochs);
    assert.ok(events[0]!.trainLoss < model.loss(fresh), 'the first epoch starts from the old weights, not from scratch');
  });

  it('starts from the current weights (a tiny step leaves them almost unchanged)', async () => {
    const model = await trainLinear(regression(500, 1, W, 4), { task: 'regression' }, { seed: 1 });
    const next = await model.partialFit(regression(500, 2, [0, 0, 0], -5), { seed: 1 }, { overrides: { learningRate: 1e-6, epochs: 1 } });
    const before = model.coefficients();
    const after = next.coefficients();
    before.weights.forEach((w, j) => assert.ok(Math.abs(after.weights[j]! - w) < 1e-3 && Math.abs(w) > 0.5));
    assert.ok(Math.abs(after.bias - before.bias) < 1e-3);
  });

  it('lands close to a full fit on the union for a stationary problem', async () => {
    const a = regression(1500, 3, W, 4);
    const b = regression(1500, 4, W, 4);
    const params = { task: 'regression', l2: 0 } as const;
    const first = await trainLinear(a, params, { seed: 1 });
    const continued = await first.partialFit(b, { seed: 2 });
    const full = await trainLinear(concat(a, b), params, { seed: 3 });
    const cw = continued.coefficients();
    const fw = full.coefficients();
    // compare in raw units (the two standardisers differ slightly)
    for (let j = 0; j < W.length; j++) {
      const rc = cw.weights[j]! / cw.std[j]!;
      const rf = fw.weights[j]! / fw.std[j]!;
      assert.ok(Math.abs(rc - rf) < 0.01 && Math.abs(rc - W[j]!) < 0.02, `w${j}: continued ${rc}, full ${rf}, true ${W[j]}`);
    }
    const probe = regression(200, 5, W, 4);
    const pc = continued.predict(probe.X);
    const pf = full.predict(probe.X);
    for (let i = 0; i < pc.length; i++) assert.ok(Math.abs(pc[i]! - pf[i]!) < 0.05);
  });

  it('keeps the standardiser fixed and leaves the original model unchanged', async () => {
    const a = regression(500, 6, W, 1);
    const b = regression(500, 7, W.map((w) => w * 3), 10);
    const model = await trainLinear(a, { task: 'regression', epochs: 5 }, { seed: 1 });
    const before = model.coefficients();
    const next = await model.partialFit(b, { seed: 1 });
    assert.deepEqual(next.coefficients().mean, before.mean);
    assert.deepEqual(next.coefficients().std, before.std);
    assert.deepEqual(model.coefficients(), before);
    assert.notDeepEqual(next.coefficients().weights, before.weights);
  });

  it('is what trainLinear does with initModel (incremental mode), param overrides included', async () => {
    const a = regression(400, 8, W, 1);
    const b = regression(400, 9, W, 1);
    const model = await trainLinear(a, { task: 'regression', epochs: 4 }, { seed: 1 });
    const viaTrain = await trainLinear(b, { epochs: 2 }, { seed: 5 }, { initModel: model });
    const viaPartial = await model.partialFit(b, { seed: 5 }, { overrides: { epochs: 2 } });
    assert.deepEqual(viaTrain.coefficients(), viaPartial.coefficients());
    assert.equal(viaTrain.params.epochs, 2);
    await assert.rejects(
      trainLinear(b, { task: 'binary' }, { seed: 1 }, { initModel: model }),
      (e) => e instanceof NsError && e.field === 'task',
    );
  });

  it('rejects a set whose features differ from the model’s', async () => {
    const model = await trainLinear(regression(100, 1, W, 1), { task: 'regression', epochs: 1 }, { seed: 1 });
    const other = subsetRows(regression(100, 2, [1, 2], 1), [0, 1, 2]);
    await assert.rejects(model.partialFit(other, { seed: 1 }), (e) => e instanceof NsError && e.field === 'features');
    assert.throws(() => model.predict(other.X), (e) => e instanceof NsError && e.field === 'X');
  });
});
