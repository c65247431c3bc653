// Every assert.ok carries a message (a message-less failing assert.ok is extremely slow under tsx).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  encodeModel,
  exportGbdtToOnnx,
  OnnxModel,
  ProtoWriter,
  TensorDataType,
  type Graph,
} from '../../src/trainers/onnx/index.ts';
import { writeNode, writeValueInfo } from '../../src/trainers/onnx/onnx-messages.ts';
import type { GbdtBody, Matrix } from '../../src/trainers/types.ts';

const stumpBody = (objective: GbdtBody['objective']): GbdtBody => ({
  objective,
  baseScore: 0.5,
  trees: [
    { feature: [1, -1, -1], threshold: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingLeft: [false, false, false], value: [0, -1, 1] },
  ],
  binEdges: [],
});
const X: Matrix = { rows: 3, columns: [Float64Array.from([9, 9, 9]), Float64Array.from([-1, 1, NaN])] };
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const modelWith = (graph: Graph): Uint8Array =>
  encodeModel({ irVersion: 8, opsetImports: [{ domain: '', version: 15 }], graph });

let dir = '';
const opened: OnnxModel[] = [];
const load = async (...args: Parameters<typeof OnnxModel.load>): Promise<OnnxModel> => {
  const m = await OnnxModel.load(...args);
  opened.push(m);
  return m;
};
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nightshift-onnx-'));
});
after(async () => {
  for (const m of opened) await m.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('OnnxModel', () => {
  it('loads an exported classifier from a file path and predicts P(class 1)', async () => {
    const path = join(dir, 'binary.onnx');
    await writeFile(path, exportGbdtToOnnx(stumpBody('binary_logloss'), 2, 'binary'));
    const m = await load(path);
    assert.equal(m.inputName, 'input');
    assert.equal(m.inputType, 'float32');
    assert.equal(m.featureCount, 2);
    assert.equal(m.outputName, 'probabilities');
    assert.equal(m.task, 'binary');
    assert.deepEqual(m.outputs.map((o) => o.name), ['label', 'probabilities']);
    const p = await m.predict(X);
    const want = [sigmoid(-0.5), sigmoid(1.5), sigmoid(1.5)]; // NaN goes right (missingLeft false)
    for (let i = 0; i < 3; i++) assert.ok(Math.abs((p[i] as number) - (want[i] as number)) < 1e-6, `row ${i}`);
    assert.equal((await m.predict({ rows: 0, columns: [new Float64Array(0), new Float64Array(0)] })).length, 0);
  });

  it('loads an exported regressor (double input) from bytes and predicts values', async () => {
    const m = await load(exportGbdtToOnnx(stumpBody('squared_error'), 2, 'regression', { inputType: 'double' }));
    assert.equal(m.inputType, 'float64');
    assert.equal(m.outputName, 'variable');
    assert.equal(m.task, 'regression');
    assert.deepEqual(Array.from(await m.predict(X)), [-0.5, 1.5, 1.5]);
  });

  it('checks the feature count', async () => {
    const m = await load(exportGbdtToOnnx(stumpBody('squared_error'), 2, 'regression'));
    await assert.rejects(m.predict({ rows: 1, columns: [Float64Array.from([1])] }), /expects 2 features, got 1/);
  });

  it('outputName override, and an unknown output is refused', async () => {
    const bytes = exportGbdtToOnnx(stumpBody('binary_logloss'), 2, 'binary');
    const m = await load(bytes, { outputName: 'probabilities' });
    assert.equal(m.outputName, 'probabilities');
    await assert.rejects(OnnxModel.load(bytes, { outputName: 'nope' }), /no output 'nope'.*label, probabilities/);
    await assert.rejects(OnnxModel.load(bytes, { outputName: 'label' }), /not a float tensor/);
  });

  it('discovers names of a foreign model ([N, 1] float64 output read as values)', async () => {
    const bytes = modelWith({
      name: 'identity',
      nodes: [{ opType: 'Identity', domain: '', inputs: ['features'], outputs: ['score'], attributes: [] }],
      inputs: [{ name: 'features', elemType: TensorDataType.DOUBLE, shape: ['batch', 1] }],
      outputs: [{ name: 'score', elemType: TensorDataType.DOUBLE, shape: ['batch', 1] }],
    });
    const m = await load(bytes);
    assert.equal(m.inputName, 'features');
    assert.equal(m.outputName, 'score');
    assert.equal(m.task, 'regression');
    assert.deepEqual(Array.from(await m.predict({ rows: 2, columns: [Float64Array.from([0.1, NaN])] })), [0.1, NaN]);
  });

  it('refuses ambiguous or unusable models with a reason', async () => {
    const twoOutputs = modelWith({
      name: 'two',
      nodes: [
        { opType: 'Identity', domain: '', inputs: ['x'], outputs: ['a'], attributes: [] },
        { opType: 'Identity', domain: '', inputs: ['x'], outputs: ['b'], attributes: [] },
      ],
      inputs: [{ name: 'x', elemType: TensorDataType.FLOAT, shape: ['N', 1] }],
      outputs: [
        { name: 'a', elemType: TensorDataType.FLOAT, shape: ['N', 1] },
        { name: 'b', elemType: TensorDataType.FLOAT, shape: ['N', 1] },
      ],
    });
    await assert.rejects(OnnxModel.load(twoOutputs), /several float outputs \(a, b\); pass outputName/);
    const picked = await load(twoOutputs, { outputName: 'b' });
    assert.equal(picked.outputName, 'b');

    const twoInputs = modelWith({
      name: 'two-in',
      nodes: [{ opType: 'Add', domain: '', inputs: ['x', 'y'], outputs: ['z'], attributes: [] }],
      inputs: [
        { name: 'x', elemType: TensorDataType.FLOAT, shape: ['N', 1] },
        { name: 'y', elemType: TensorDataType.FLOAT, shape: ['N', 1] },
      ],
      outputs: [{ name: 'z', elemType: TensorDataType.FLOAT, shape: ['N', 1] }],
    });
    await assert.rejects(OnnxModel.load(twoInputs), /exactly one input.*x, y/);

    const wide = await load(
      modelWith({
        name: 'wide',
        nodes: [{ opType: 'Identity', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }],
        inputs: [{ name: 'x', elemType: TensorDataType.FLOAT, shape: ['N', 3] }],
        outputs: [{ name: 'y', elemType: TensorDataType.FLOAT, shape: ['N', 3] }],
      }),
    );
    const three: Matrix = { rows: 1, columns: [1, 2, 3].map((v) => Float64Array.from([v])) };
    await assert.rejects(wide.predict(three), /has shape \[1, 3\]/);
  });

  it('a classifier whose probabilities only come out of a ZipMap is refused with the fix', async () => {
    // TreeEnsembleClassifier → ZipMap, the default of many converters. The ZipMap output type is
    // sequence<map<int64, float>>: TypeProto.sequence_type = 4 { elem_type = 1: TypeProto {
    // map_type = 5 { key_type = 1: INT64, value_type = 2: TypeProto { tensor_type = 1 { elem_type = 1: FLOAT } } } } }.
    const g = new ProtoWriter();
    writeNode(g, {
      opType: 'TreeEnsembleClassifier',
      domain: 'ai.onnx.ml',
      inputs: ['input'],
      outputs: ['label', 'probs'],
      attributes: [
        { name: 'nodes_treeids', type: 'ints', value: [0] },
        { name: 'nodes_nodeids', type: 'ints', value: [0] },
        { name: 'nodes_featureids', type: 'ints', value: [0] },
        { name: 'nodes_modes', type: 'strings', value: ['LEAF'] },
        { name: 'nodes_values', type: 'floats', value: [0] },
        { name: 'nodes_truenodeids', type: 'ints', value: [0] },
        { name: 'nodes_falsenodeids', type: 'ints', value: [0] },
        { name: 'class_treeids', type: 'ints', value: [0] },
        { name: 'class_nodeids', type: 'ints', value: [0] },
        { name: 'class_ids', type: 'ints', value: [0] },
        { name: 'class_weights', type: 'floats', value: [-0.5] },
        { name: 'classlabels_int64s', type: 'ints', value: [0, 1] },
        { name: 'post_transform', type: 'string', value: 'LOGISTIC' },
      ],
    });
    const nodeBytes = g.finish();
    const zip = new ProtoWriter();
    writeNode(zip, {
      opType: 'ZipMap',
      domain: 'ai.onnx.ml',
      inputs: ['probs'],
      outputs: ['output_probability'],
      attributes: [{ name: 'classlabels_int64s', type: 'ints', value: [0, 1] }],
    });
    const zipBytes = zip.finish();
    const graph = new ProtoWriter();
    graph.bytes(1, nodeBytes).bytes(1, zipBytes).string(2, 'zipmapped');
    graph.message(11, (v) => writeValueInfo(v, { name: 'input', elemType: TensorDataType.FLOAT, shape: ['N', 1] }));
    graph.message(12, (v) => writeValueInfo(v, { name: 'label', elemType: TensorDataType.INT64, shape: ['N'] }));
    graph.message(12, (v) => {
      v.string(1, 'output_probability');
      v.message(2, (t) =>
        t.message(4, (seq) =>
          seq.message(1, (elem) =>
            elem.message(5, (map) => {
              map.int(1, TensorDataType.INT64);
              map.message(2, (val) => val.message(1, (tt) => tt.int(1, TensorDataType.FLOAT)));
            }),
          ),
        ),
      );
    });
    const model = new ProtoWriter();
    model.int(1, 8).bytes(7, graph.finish());
    model.message(8, (o) => o.string(1, '').int(2, 15));
    model.message(8, (o) => o.string(1, 'ai.onnx.ml').int(2, 3));
    await assert.rejects(OnnxModel.load(model.finish()), /ZipMap.*zipmap=False/);
  });
});
