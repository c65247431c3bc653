import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { evaluate } from '../../src/trainers/evaluate.ts';
import { trainLinear } from '../../src/trainers/linear/index.ts';
import { seededRandom } from '../../src/trainers/random.ts';
import type { FeatureInfo, Matrix, TrainingSet, TrainProgress } from '../../src/trainers/types.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const numeric = (...names: string[]): FeatureInfo[] => names.map((name) => ({ name, type: 'numeric' }));

function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Columns from per-row generators. */
function matrix(rows: number, columns: Array<(i: number) => number>): Matrix {
  return { rows, columns: columns.map((f) => Float64Array.from({ length: rows }, (_, i) => f(i))) };
}

/** Noiseless y = 3 + 2·x0 − 1.5·x1 + 0.5·x2 with very different feature scales. */
function noiselessRegression(rows: number, seed: number): TrainingSet {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const X = matrix(rows, [() => random() * 10, () => 100 * normal(), () => 2 * random() - 1]);
  const [a, b, c] = X.columns as [Float64Array, Float64Array, Float64Array];
  return { features: numeric('a', 'b', 'c'), X, y: Float64Array.from({ length: rows }, (_, i) => 3 + 2 * a[i]! - 1.5 * b[i]! + 0.5 * c[i]!) };
}

/** y ~ Bernoulli(sigmoid(0.5 + 1.5·x0 − x1)). */
function logisticSet(rows: number, seed: number): TrainingSet & { p: Float64Array } {
  const random = seededRandom(seed);
  const normal = gaussian(random);
  const X = matrix(rows, [normal, normal]);
  const p = Float64Array.from({ length: rows }, (_, i) => sigmoid(0.5 + 1.5 * X.columns[0]![i]! - X.columns[1]![i]!));
  return { features: numeric('u', 'v'), X, y: p.map((pi) => (random() < pi ? 1 : 0)), p };
}

describe('trainLinear: regression', () => {
  it('recovers known coefficients on noiseless data', async () => {
    const set = noiselessRegression(500, 1);
    const model = await trainLinear(set, { task: 'regression', l2: 0, learningRateSchedule: 'constant', epochs: 60 }, { seed: 1 });
    const { weights, bias, mean, std } = model.coefficients();
    const raw = Array.from(weights, (w, j) => w / std[j]!);
    const intercept = bias - Array.from(weights).reduce((s, w, j) => s + (w * mean[j]!) / std[j]!, 0);
    [2, -1.5, 0.5].forEach((expected, j) => assert.ok(Math.abs(raw[j]! - expected) < 1e-4, `w${j} = ${raw[j]}`));
    assert.ok(Math.abs(intercept - 3) < 1e-3, `intercept ${intercept}`);

    const test = noiselessRegression(100, 2);
    const m = evaluate('regression', test.y, model.predict(test.X));
    assert.ok(m.r2 > 0.999999 && m.mae < 1e-3, JSON.stringify(m));
  });

  it('reports one progress event per epoch with a falling loss', async () => {
    const events: TrainProgress[] = [];
    await trainLinear(noiselessRegression(300, 3), { task: 'regression', epochs: 5 }, { seed: 1, onProgress: (p) => events.push(p) });
    assert.deepEqual(events.map((e) => e.iteration), [1, 2, 3, 4, 5]);
    assert.ok(events.at(-1)!.trainLoss < events[0]!.trainLoss);
  });

  it('reports validLoss when given a validation set', async () => {
    const events: TrainProgress[] = [];
    await trainLinear(noiselessRegression(300, 3), { task: 'regression', epochs: 3 }, { seed: 1, onProgress: (p) => events.push(p) }, {
      valid: noiselessRegression(50, 4),
    });
    assert.ok(events.every((e) => typeof e.validLoss === 'number' && Number.isFinite(e.validLoss)));
  });
});

describe('trainLinear: logistic', () => {
  it('separates a linearly separable set (accuracy 1)', async () => {
    const random = seededRandom(5);
    const xs: number[] = [];
    const ys: number[] = [];
    while (xs.length < 800) {
      const a = 4 * random() - 2;
      const b = 4 * random() - 2;
      if (Math.abs(a + 2 * b - 0.5) < 0.2) continue; // keep a margin
      xs.push(a, b);
      ys.push(a + 2 * b > 0.5 ? 1 : 0);
    }
    const X = matrix(400, [(i) => xs[2 * i]!, (i) => xs[2 * i + 1]!]);
    const set = { features: numeric('a', 'b'), X, y: Float64Array.from(ys) };
    const model = await trainLinear(set, { task: 'binary', epochs: 50, l2: 0 }, { seed: 3 });
    const m = evaluate('binary', set.y, model.predict(set.X));
    assert.equal(m.accuracy, 1);
    assert.equal(m.auc, 1);
  });

  it('gives calibrated probabilities on a logistic-generated set', async () => {
    const set = logisticSet(20_000, 11);
    const model = await trainLinear(set, { task: 'binary' }, { seed: 11 });
    const test = logisticSet(10_000, 12);
    const p = model.predict(test.X);
    // close to the true probabilities, and to the true model's log loss
    let maxGap = 0;
    for (let i = 0; i < p.length; i++) maxGap = Math.max(maxGap, Math.abs(p[i]! - test.p[i]!));
    assert.ok(maxGap < 0.05, `max |p − p_true| = ${maxGap}`);
    const fitted = evaluate('binary', test.y, p).logloss;
    const truth = evaluate('binary', test.y, test.p).logloss;
    assert.ok(fitted - truth < 0.005, `logloss ${fitted} vs true model ${truth}`);
    // reliability: in each decile of predicted probability, the observed rate matches the mean prediction
    const order = Array.from(p.keys()).sort((a, b) => p[a]! - p[b]!);
    for (let d = 0; d < 10; d++) {
      const bin = order.slice(d * 1000, (d + 1) * 1000);
      const predicted = bin.reduce((s, i) => s + p[i]!, 0) / bin.length;
      const observed = bin.reduce((s, i) => s + test.y[i]!, 0) / bin.length;
      assert.ok(Math.abs(predicted - observed) < 0.06, `decile ${d}: predicted ${predicted}, observed ${observed}`);
    }
  });
});

describe('trainLinear: standardisation and missing values', () => {
  it('gives the same predictions when a feature is scaled ×1000', async () => {
    const set = logisticSet(2000, 21);
    const scale = (X: Matrix): Matrix => ({ rows: X.rows, columns: [X.columns[0]!.map((x) => x * 1000), X.columns[1]!] });
    const params = { task: 'binary', epochs: 10 } as const;
    const plain = await trainLinear(set, params, { seed: 4 });
    const scaled = await trainLinear({ ...set, X: scale(set.X) }, params, { seed: 4 });
    const test = logisticSet(500, 22);
    const a = plain.predict(test.X);
    const b = scaled.predict(scale(test.X));
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-9);
    assert.ok(Math.abs(scaled.coefficients().std[0]! / plain.coefficients().std[0]! - 1000) < 1e-6);
  });

  it('learns mean/std from observed values and imputes a missing value with the stored mean', async () => {
    const set = noiselessRegression(400, 31);
    const a = set.X.columns[0]!;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < a.length; i++) {
      if (i % 7 === 0) a[i] = Number.NaN;
      else {
        sum += a[i]!;
        count++;
      }
    }
    const model = await trainLinear(set, { task: 'regression', epochs: 5 }, { seed: 1 });
    const mean = model.coefficients().mean[0]!;
    assert.ok(Math.abs(mean - sum / count) < 1e-9);
    assert.ok(model.predict(set.X).every(Number.isFinite));
    const missing = model.predict(matrix(1, [() => Number.NaN, () => 10, () => 0.5]))[0]!;
    const imputed = model.predict(matrix(1, [() => mean, () => 10, () => 0.5]))[0]!;
    assert.ok(Math.abs(missing - imputed) < 1e-9, `${missing} vs ${imputed}`);
  });

  it('one-hot encodes categorical features; an unknown code counts as missing', async () => {
    const random = seededRandom(41);
    const rows = 600;
    const effect = [1, 5, -2];
    const X = matrix(rows, [(i) => i % 3, () => random()]);
    const y = Float64Array.from({ length: rows }, (_, i) => effect[i % 3]! + 2 * X.columns[1]![i]!);
    const features: FeatureInfo[] = [{ name: 'c', type: 'categorical', categories: ['a', 'b', 'c'] }, { name: 'x', type: 'numeric' }];
    const model = await trainLinear({ features, X, y }, { task: 'regression', l2: 0, epochs: 60, learningRateSchedule: 'constant' }, { seed: 1 });
    assert.equal(model.coefficients().weights.length, 4);
    const p = model.predict(matrix(4, [(i) => [0, 1, 2, 99][i]!, () => 0.5]));
    [2, 6, -1].forEach((expected, i) => assert.ok(Math.abs(p[i]! - expected) < 1e-3, `code ${i}: ${p[i]}`));
    const nan = model.predict(matrix(1, [() => Number.NaN, () => 0.5]))[0]!;
    assert.ok(Math.abs(p[3]! - nan) < 1e-12);
  });
});

describe('trainLinear: determinism and abort', () => {
  it('is deterministic by seed; params.seed overrides ctx.seed', async () => {
    const set = logisticSet(1000, 51);
    const run = (seed: number, paramSeed?: number) =>
      trainLinear(set, { task: 'binary', epochs: 3, seed: paramSeed }, { seed }).then((m) => m.coefficients().weights);
    assert.deepEqual(await run(1), await run(1));
    assert.notDeepEqual(await run(1), await run(2));
    assert.deepEqual(await run(1, 9), await run(2, 9));
  });

  it('stops when aborted from a progress callback', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const onProgress = (p: TrainProgress) => {
      seen.push(p.iteration);
      if (p.iteration === 2) controller.abort(new Error('stop'));
    };
    await assert.rejects(
      trainLinear(noiselessRegression(300, 1), { task: 'regression', epochs: 50 }, { seed: 1, signal: controller.signal, onProgress }),
      (e) => e instanceof NsError && e.code === 'NS_JOB_CANCELLED',
    );
    assert.deepEqual(seen, [1, 2]);
  });

  it('stops promptly when aborted by a timer mid-epoch (the loop yields)', async () => {
    const set = noiselessRegression(200_000, 2);
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 30);
    await assert.rejects(
      trainLinear(set, { task: 'regression', epochs: 10_000 }, { seed: 1, signal: controller.signal }),
      (e) => e instanceof NsError && e.code === 'NS_JOB_CANCELLED',
    );
    const lag = performance.now() - abortedAt;
    // The loop yields every ~10 ms, so it normally stops within a few; the bound leaves room for a
    // loaded CI machine (other processes on both cores, a GC) while 10 000 epochs would take far longer.
    assert.ok(abortedAt > 0 && lag < 1_000, `stopped ${lag} ms after abort`);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await assert.rejects(
      trainLinear(noiselessRegression(10, 1), { task: 'regression' }, { seed: 1, signal: AbortSignal.abort() }),
      (e) => e instanceof NsError && e.code === 'NS_JOB_CANCELLED',
    );
  });

  it('rejects bad labels and empty sets with NS_VALIDATION on y', async () => {
    const set = noiselessRegression(10, 1);
    const isY = (e: unknown) => e instanceof NsError && e.code === 'NS_VALIDATION' && e.field === 'y';
    await assert.rejects(trainLinear(set, { task: 'binary' }, { seed: 1 }), isY);
    await assert.rejects(trainLinear({ ...set, X: { rows: 0, columns: set.X.columns.map(() => new Float64Array(0)) }, y: new Float64Array(0) }, { task: 'regression' }, { seed: 1 }), isY);
  });
});
