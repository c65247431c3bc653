// Every assert.ok here carries a message: without one, a failing assert.ok under tsx makes Node
// re-parse the source to build the message, which was measured to take ~250 s of CPU.
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  exportGbdtToOnnx,
  OnnxModel,
  ONNX_INPUT_NAME,
  ONNX_LABEL_OUTPUT,
  ONNX_PROBABILITIES_OUTPUT,
  ONNX_REGRESSION_OUTPUT,
  type ExportGbdtOptions,
} from '../../src/trainers/onnx/index.ts';
import type { GbdtBody, GbdtTree, Matrix, Task } from '../../src/trainers/types.ts';

// ---- deterministic randomness ----------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (rnd: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

// ---- the reference: GbdtTree semantics, in double -----------------------------------------------

function predictTree(tree: GbdtTree, X: Matrix, row: number): number {
  let i = 0;
  for (;;) {
    const f = tree.feature[i] as number;
    if (f === -1) return tree.value[i] as number;
    const x = (X.columns[f] as Float64Array)[row] as number;
    const goLeft = Number.isNaN(x) ? (tree.missingLeft[i] as boolean) : x <= (tree.threshold[i] as number);
    i = (goLeft ? tree.left[i] : tree.right[i]) as number;
  }
}

function referencePredict(body: GbdtBody, X: Matrix): Float64Array {
  const out = new Float64Array(X.rows);
  for (let r = 0; r < X.rows; r++) {
    let raw = body.baseScore;
    for (const tree of body.trees) raw += predictTree(tree, X, r);
    out[r] = body.objective === 'binary_logloss' ? 1 / (1 + Math.exp(-raw)) : raw;
  }
  return out;
}

// ---- random ensembles and data --------------------------------------------------------------

/** A random tree grown by splitting random leaves; thresholds are arbitrary doubles. */
function randomTree(rnd: () => number, featureCount: number, maxLeaves: number): GbdtTree {
  const tree: GbdtTree = { feature: [-1], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [0] };
  const leaves = [0];
  const target = 1 + Math.floor(rnd() * maxLeaves);
  while (leaves.length < target) {
    const k = Math.floor(rnd() * leaves.length);
    const i = leaves[k] as number;
    const l = tree.feature.length;
    const r = l + 1;
    for (let j = 0; j < 2; j++) {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.missingLeft.push(false);
      tree.value.push(0);
    }
    tree.feature[i] = Math.floor(rnd() * featureCount);
    tree.threshold[i] = normal(rnd) * 1.5; // an arbitrary double, almost never float32-representable
    tree.left[i] = l;
    tree.right[i] = r;
    tree.missingLeft[i] = rnd() < 0.5;
    leaves.splice(k, 1, l, r);
  }
  for (const i of leaves) tree.value[i] = normal(rnd) * 0.1; // "learning rate already applied"
  return tree;
}

function randomBody(seed: number, task: Task, opts: { trees?: number; maxLeaves?: number; features?: number } = {}): GbdtBody {
  const rnd = mulberry32(seed);
  const features = opts.features ?? 20;
  const trees: GbdtTree[] = [];
  for (let t = 0; t < (opts.trees ?? 50); t++) trees.push(randomTree(rnd, features, opts.maxLeaves ?? 31));
  return {
    objective: task === 'binary' ? 'binary_logloss' : 'squared_error',
    baseScore: task === 'binary' ? normal(rnd) * 0.5 : 2.5 + normal(rnd),
    trees,
    binEdges: [],
  };
}

/** Rows mixing random doubles, NaN (10%), exact threshold values (10%) and small integers (5%). */
function randomMatrix(seed: number, rows: number, body: GbdtBody, features: number): Matrix {
  const rnd = mulberry32(seed);
  const thresholds: number[][] = Array.from({ length: features }, () => []);
  for (const tree of body.trees) {
    tree.feature.forEach((f, i) => {
      if (f >= 0) (thresholds[f] as number[]).push(tree.threshold[i] as number);
    });
  }
  const columns = Array.from({ length: features }, (_, f) => {
    const col = new Float64Array(rows);
    const ts = thresholds[f] as number[];
    for (let r = 0; r < rows; r++) {
      const u = rnd();
      if (u < 0.1) col[r] = NaN;
      else if (u < 0.2 && ts.length > 0) col[r] = ts[Math.floor(rnd() * ts.length)] as number;
      else if (u < 0.25) col[r] = Math.floor(rnd() * 7) - 3;
      else col[r] = normal(rnd) * 1.5;
    }
    return col;
  });
  return { rows, columns };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

const models: OnnxModel[] = [];
after(async () => {
  for (const m of models) await m.dispose();
});

async function exportAndLoad(body: GbdtBody, features: number, task: Task, options?: ExportGbdtOptions): Promise<OnnxModel> {
  const model = await OnnxModel.load(exportGbdtToOnnx(body, features, task, options));
  models.push(model);
  return model;
}

const TOLERANCE = 1e-5;

// ---- tests ------------------------------------------------------------------------------------

describe('exportGbdtToOnnx vs the reference predictor (onnxruntime-node)', () => {
  for (const inputType of ['float', 'double'] as const) {
    for (const task of ['binary', 'regression'] as const) {
      it(`${task}, ${inputType} input: 50 trees ≤ 31 leaves, 20 features, 10k rows with NaN: max |diff| ≤ 1e-5`, async (t) => {
        const seed = task === 'binary' ? 11 : 12;
        const body = randomBody(seed, task);
        const X = randomMatrix(seed + 100, 10_000, body, 20);
        const model = await exportAndLoad(body, 20, task, { inputType });
        assert.equal(model.task, task);
        const got = await model.predict(X);
        const want = referencePredict(body, X);
        const diff = maxAbsDiff(got, want);
        t.diagnostic(`max |diff| = ${diff.toExponential(3)} (${task}, ${inputType})`);
        assert.ok(diff <= TOLERANCE, `max |diff| ${diff} > ${TOLERANCE}`);
      });
    }
  }

  it('several seeds, both tasks (float input, 2k rows each)', async (t) => {
    let worst = 0;
    for (let seed = 100; seed < 110; seed++) {
      for (const task of ['binary', 'regression'] as const) {
        const body = randomBody(seed, task, { trees: 30 });
        const X = randomMatrix(seed * 7, 2_000, body, 20);
        const model = await exportAndLoad(body, 20, task);
        worst = Math.max(worst, maxAbsDiff(await model.predict(X), referencePredict(body, X)));
      }
    }
    t.diagnostic(`worst max |diff| over 20 models = ${worst.toExponential(3)}`);
    assert.ok(worst <= TOLERANCE, `worst max |diff| ${worst}`);
  });
});

describe('exported model structure', () => {
  it('binary: input "input" float [N, d]; outputs label int64 and probabilities float [N, 2]; no ZipMap', async () => {
    const body = randomBody(3, 'binary', { trees: 5, features: 4 });
    const bytes = exportGbdtToOnnx(body, 4, 'binary');
    const session = await ort.InferenceSession.create(bytes);
    try {
      assert.deepEqual(session.inputNames, [ONNX_INPUT_NAME]);
      assert.deepEqual(session.outputNames, [ONNX_LABEL_OUTPUT, ONNX_PROBABILITIES_OUTPUT]);
      const [input] = session.inputMetadata;
      assert.ok(input?.isTensor, 'input is a tensor');
      assert.equal(input.type, 'float32');
      assert.deepEqual(input.shape, ['N', 4]);
      const [label, probs] = session.outputMetadata;
      assert.ok(label?.isTensor && probs?.isTensor, 'every output is a tensor (a ZipMap would be a sequence of maps)');
      assert.equal(label.type, 'int64');
      assert.equal(probs.type, 'float32');
      assert.deepEqual(probs.shape, ['N', 2]);
      assert.equal(Buffer.from(bytes).includes('ZipMap'), false);
      assert.equal(Buffer.from(bytes).includes('TreeEnsembleClassifier'), true);

      // probabilities rows sum to 1, label = (p1 > 0.5)
      const X = randomMatrix(4, 500, body, 4);
      const data = new Float32Array(500 * 4);
      for (let r = 0; r < 500; r++) for (let f = 0; f < 4; f++) data[r * 4 + f] = (X.columns[f] as Float64Array)[r] as number;
      const out = await session.run({ input: new ort.Tensor('float32', data, [500, 4]) });
      const p = out[ONNX_PROBABILITIES_OUTPUT]!.data as Float32Array;
      const y = out[ONNX_LABEL_OUTPUT]!.data as BigInt64Array;
      const want = referencePredict(body, X);
      for (let r = 0; r < 500; r++) {
        assert.ok(Math.abs((p[2 * r] as number) + (p[2 * r + 1] as number) - 1) < 1e-6, `row ${r}: p0 + p1 = 1`);
        assert.ok(Math.abs((p[2 * r + 1] as number) - (want[r] as number)) <= TOLERANCE, `row ${r}: p1`);
        if (Math.abs((want[r] as number) - 0.5) > 1e-6) assert.equal(y[r], (want[r] as number) > 0.5 ? 1n : 0n);
      }
    } finally {
      await session.release();
    }
  });

  it('regression: one output "variable" float [N, 1]; double option gives a float64 input', async () => {
    const body = randomBody(5, 'regression', { trees: 5, features: 3 });
    for (const [inputType, ortType] of [['float', 'float32'], ['double', 'float64']] as const) {
      const session = await ort.InferenceSession.create(exportGbdtToOnnx(body, 3, 'regression', { inputType }));
      try {
        assert.deepEqual(session.inputNames, [ONNX_INPUT_NAME]);
        assert.deepEqual(session.outputNames, [ONNX_REGRESSION_OUTPUT]);
        const [input] = session.inputMetadata;
        assert.ok(input?.isTensor, 'input is a tensor');
        assert.equal(input.type, ortType);
        const [output] = session.outputMetadata;
        assert.ok(output?.isTensor, 'output is a tensor');
        assert.equal(output.type, 'float32');
        assert.deepEqual(output.shape, ['N', 1]);
      } finally {
        await session.release();
      }
    }
  });
});

describe('edge cases', () => {
  const leaf = (value: number): GbdtTree => ({
    feature: [-1],
    threshold: [0],
    left: [-1],
    right: [-1],
    missingLeft: [false],
    value: [value],
  });
  const stump = (feature: number, threshold: number, missingLeft: boolean, l: number, r: number): GbdtTree => ({
    feature: [feature, -1, -1],
    threshold: [threshold, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    missingLeft: [missingLeft, false, false],
    value: [0, l, r],
  });
  const matrix = (...columns: number[][]): Matrix => ({
    rows: columns[0]?.length ?? 0,
    columns: columns.map((c) => Float64Array.from(c)),
  });

  for (const task of ['binary', 'regression'] as const) {
    const objective = task === 'binary' ? 'binary_logloss' : 'squared_error';

    it(`${task}: single-leaf trees only, 1 feature`, async () => {
      const body: GbdtBody = { objective, baseScore: 0.25, trees: [leaf(0.5), leaf(-0.125)], binEdges: [] };
      const X = matrix([0, NaN, -1e30, 7]);
      for (const inputType of ['float', 'double'] as const) {
        const model = await exportAndLoad(body, 1, task, { inputType });
        assert.ok(maxAbsDiff(await model.predict(X), referencePredict(body, X)) <= TOLERANCE, inputType);
      }
    });

    it(`${task}: no trees → baseScore`, async () => {
      const body: GbdtBody = { objective, baseScore: -0.75, trees: [], binEdges: [] };
      const X = matrix([1, 2]);
      const model = await exportAndLoad(body, 1, task);
      assert.ok(maxAbsDiff(await model.predict(X), referencePredict(body, X)) <= TOLERANCE, 'baseScore only');
    });

    it(`${task}: NaN goes left iff missingLeft, in one tree and mixed with a single leaf`, async () => {
      const body: GbdtBody = {
        objective,
        baseScore: 0,
        trees: [stump(0, 0.5, true, -1, 1), stump(1, 0.5, false, -0.25, 0.25), leaf(0.125)],
        binEdges: [],
      };
      //          f0: NaN→left  f1: NaN→right
      const X = matrix([NaN, NaN, 0, 1, NaN], [NaN, 0, NaN, NaN, 1]);
      const want = referencePredict(body, X);
      const raw = [-1 + 0.25, -1 - 0.25, -1 + 0.25, 1 + 0.25, -1 + 0.25].map((v) => v + 0.125);
      for (let r = 0; r < raw.length; r++) {
        const expect = task === 'binary' ? 1 / (1 + Math.exp(-(raw[r] as number))) : (raw[r] as number);
        assert.ok(Math.abs((want[r] as number) - expect) < 1e-12, 'reference sanity');
      }
      for (const inputType of ['float', 'double'] as const) {
        const model = await exportAndLoad(body, 2, task, { inputType });
        assert.ok(maxAbsDiff(await model.predict(X), want) <= TOLERANCE, inputType);
      }
    });
  }

  it('x exactly at a non-float32 threshold goes left (both input types), however fround rounds it', async () => {
    // 0.1 rounds up in float32 (fround(0.1) > 0.1); 0.7 rounds down (fround(0.7) < 0.7).
    assert.ok(Math.fround(0.1) > 0.1 && Math.fround(0.7) < 0.7, 'premise: one threshold rounds up, one down');
    const body: GbdtBody = {
      objective: 'squared_error',
      baseScore: 0,
      trees: [stump(0, 0.1, false, -1, 1), stump(1, 0.7, false, -10, 10)],
      binEdges: [[0.1], [0.7]],
    };
    const X = matrix([0.1, 0.1, 0.2, 0.09999], [0.7, 0.71, 0.7, 0.69999]);
    for (const inputType of ['float', 'double'] as const) {
      const model = await exportAndLoad(body, 2, 'regression', { inputType });
      assert.deepEqual(Array.from(await model.predict(X)), [-11, 9, -9, -11], inputType);
    }
  });

  it('documented float32 limit: x within half a float32 ulp above t routes left; double input is exact', async () => {
    const t = 0.1; // fround(0.1) = 0.10000000149…; x in (0.1, 0.100000001490116…] is indistinguishable in float32
    const x = t + 1e-9;
    assert.equal(Math.fround(x), Math.fround(t));
    const body: GbdtBody = { objective: 'squared_error', baseScore: 0, trees: [stump(0, t, false, -1, 1)], binEdges: [] };
    const X = matrix([x]);
    const floatModel = await exportAndLoad(body, 1, 'regression');
    assert.deepEqual(Array.from(await floatModel.predict(X)), [-1]); // reference says 1
    const doubleModel = await exportAndLoad(body, 1, 'regression', { inputType: 'double' });
    assert.deepEqual(Array.from(await doubleModel.predict(X)), [1]);
  });

  it('binary with no negative leaf value: probabilities and labels still right', async () => {
    const body: GbdtBody = {
      objective: 'binary_logloss',
      baseScore: 0,
      trees: [stump(0, 0, true, 0.25, 0.5), leaf(0)],
      binEdges: [],
    };
    const X = matrix([-1, 1, NaN]);
    const want = referencePredict(body, X); // sigmoid(0.25), sigmoid(0.5), sigmoid(0.25): all > 0.5
    const bytes = exportGbdtToOnnx(body, 1, 'binary');
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from([-1, 1, NaN]), [3, 1]) });
      assert.deepEqual(Array.from(out[ONNX_LABEL_OUTPUT]!.data as BigInt64Array), [1n, 1n, 1n]);
      const p = out[ONNX_PROBABILITIES_OUTPUT]!.data as Float32Array;
      for (let r = 0; r < 3; r++) assert.ok(Math.abs((p[2 * r + 1] as number) - (want[r] as number)) <= TOLERANCE, `row ${r}`);
    } finally {
      await session.release();
    }
  });

  it('nodes stored out of breadth-first order, with an unreachable node, are renumbered', async () => {
    // root (node 0) has its children at indices 4 and 1; nodes 2 and 3 are unreachable (2 is even invalid).
    const tree: GbdtTree = {
      feature: [0, -1, 99, -1, 1, -1, -1],
      threshold: [0, 0, 0, 0, 2.5, 0, 0],
      left: [4, -1, -1, -1, 5, -1, -1],
      right: [1, -1, -1, -1, 6, -1, -1],
      missingLeft: [true, false, false, false, false, false, false],
      value: [0, 3, 0, 0, 0, -2, 2],
    };
    const body: GbdtBody = { objective: 'squared_error', baseScore: 0, trees: [tree], binEdges: [] };
    const X = matrix([-1, -1, 1, NaN], [0, 3, 0, 3]);
    const model = await exportAndLoad(body, 2, 'regression');
    assert.deepEqual(Array.from(await model.predict(X)), [-2, 2, 3, 2]);
  });

  it('rejects malformed input', () => {
    const body: GbdtBody = { objective: 'squared_error', baseScore: 0, trees: [stump(3, 0, true, 1, 2)], binEdges: [] };
    assert.throws(() => exportGbdtToOnnx(body, 3, 'regression'), /feature 3 out of range/);
    assert.throws(() => exportGbdtToOnnx(body, 4, 'binary'), /needs objective 'binary_logloss'/);
    assert.throws(() => exportGbdtToOnnx(body, 0, 'regression'), /featureCount/);
    const cyclic: GbdtTree = { ...stump(0, 0, true, 1, 2), left: [1, 0, -1], feature: [0, 0, -1] };
    assert.throws(
      () => exportGbdtToOnnx({ ...body, trees: [cyclic] }, 1, 'regression'),
      /reached twice|out of range/,
    );
    assert.throws(
      () => exportGbdtToOnnx({ ...body, trees: [stump(0, NaN, true, 1, 2)] }, 1, 'regression'),
      /threshold is NaN/,
    );
  });
});
