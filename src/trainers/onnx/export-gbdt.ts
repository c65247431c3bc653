/**
 * ONNX export of a GbdtBody as one ai.onnx.ml tree-ensemble node (no ZipMap, no other nodes):
 *
 *   binary     → TreeEnsembleClassifier(input) → label: int64 [N], probabilities: float [N, 2]
 *   regression → TreeEnsembleRegressor(input)  → variable: float [N, 1]
 *
 * Opsets: ai.onnx.ml 3 (the TreeEnsemble* version that adds the `*_as_tensor` double attributes;
 * onnxruntime registers float and double kernels for it) and ai.onnx 15 (not used by any node, but
 * declared so tools that expect a default-domain import are happy); IR version 8.
 *
 * Precision (measured against onnxruntime-node 1.30, see test/unit/onnx-export.test.ts):
 *  - inputType 'float' (default, the conventional converter output): onnxruntime compares float32
 *    inputs with float32 thresholds — a double `nodes_values_as_tensor` is rejected for float input
 *    ("could not unpack tensor attribute"), because its threshold type follows the input type.
 *    Each threshold t is therefore written as fround(t), the nearest float32. Our trainer places
 *    every threshold on a float32 rounding boundary (binning.ts `threshold`: the largest double
 *    that rounds to the float32 midpoint), so x <= t exactly when fround(x) <= fround(t): every row
 *    routes as in double precision. Thresholds of other origin (not on a boundary) can route a
 *    value within half a float32 ulp (~6e-8 relative) above t differently: measured with random
 *    double thresholds and inputs, 1 row in 200,000 (200 trees
 *    of 31 leaves, ~2e8 comparisons) routed differently. Leaf values, base score and the sum are
 *    float32 (error ~1e-7 relative to the raw score per few dozen trees; 2e-6 for 200 trees).
 *  - inputType 'double': thresholds, leaf weights and base values go in the double attributes
 *    (nodes_values_as_tensor, class_weights_as_tensor / target_weights_as_tensor,
 *    base_values_as_tensor); onnxruntime then compares and sums in double, so routing is exact for
 *    every double input and only the float32 output is rounded.
 *
 * Missing values: nodes_missing_value_tracks_true = 1 iff missingLeft (the true branch is the
 * `x <= t` branch, i.e. left), so NaN goes left iff missingLeft, as in GbdtTree.
 *
 * Binary classifier encoding: every leaf weight votes for class id 0 and base_values = [baseScore],
 * with post_transform LOGISTIC and classlabels_int64s [0, 1]. onnxruntime treats "two classes, all
 * weights on one class id" as the binary case and outputs probabilities
 * [sigmoid(-raw), sigmoid(raw)] with raw = baseScore + Σ leaf values, and label = raw > 0.
 * (Measured: weights on class id 1, or on both ids, with two base_values give wrong scores.)
 * If no leaf weight is negative, onnxruntime switches the label rule to raw > 0.5 (it assumes the
 * weights are probabilities); to keep label = (probability > 0.5) the exporter then appends one
 * single-leaf tree whose weight is -2^-126 (the smallest normal float32), which leaves every score
 * unchanged in float32/double arithmetic.
 */

import type { GbdtBody, GbdtTree, Task } from '../types.ts';
import { encodeModel, TensorDataType, type Attribute, type Model } from './onnx-messages.ts';

export const ONNX_INPUT_NAME = 'input';
export const ONNX_LABEL_OUTPUT = 'label';
export const ONNX_PROBABILITIES_OUTPUT = 'probabilities';
export const ONNX_REGRESSION_OUTPUT = 'variable';
export const ONNX_ML_DOMAIN = 'ai.onnx.ml';
export const ONNX_ML_OPSET = 3;
export const ONNX_DEFAULT_OPSET = 15;
export const ONNX_IR_VERSION = 8;

/** -2^-126: the smallest normal float32, used as the tie-breaking negative weight (see above). */
const TINY_NEGATIVE_WEIGHT = -(2 ** -126);

export interface ExportGbdtOptions {
  /**
   * Element type of the "input" tensor. 'float' (default): float32 input, float32 thresholds
   * (nearest rounding). 'double': float64 input and double thresholds/weights (exact routing).
   */
  inputType?: 'float' | 'double';
  /** ModelProto.producer_version; defaults to "1". */
  producerVersion?: string;
  /** ModelProto.doc_string. */
  docString?: string;
  /** ModelProto.metadata_props (e.g. feature names). */
  metadata?: Readonly<Record<string, string>>;
}

/** The flattened node/leaf arrays of every tree, in the order the ONNX attributes want them. */
interface FlatEnsemble {
  treeIds: number[];
  nodeIds: number[];
  featureIds: number[];
  modes: string[];
  values: number[];
  trueIds: number[];
  falseIds: number[];
  missingTracksTrue: number[];
  leafTreeIds: number[];
  leafNodeIds: number[];
  leafWeights: number[];
}

/**
 * Renumbers one tree breadth-first from node 0 (ONNX wants ids 0..n-1 per tree; unreachable
 * nodes are dropped) and appends its nodes and leaves to `out`. Validates the structure.
 */
function flattenTree(tree: GbdtTree, treeId: number, featureCount: number, out: FlatEnsemble): void {
  const n = tree.feature.length;
  const where = (i: number): string => `tree ${treeId}, node ${i}`;
  if (n === 0) throw new Error(`tree ${treeId} has no nodes`);
  for (const [name, arr] of [
    ['threshold', tree.threshold],
    ['left', tree.left],
    ['right', tree.right],
    ['missingLeft', tree.missingLeft],
    ['value', tree.value],
  ] as const) {
    if (arr.length !== n) {
      throw new Error(`tree ${treeId}: ${name} has ${arr.length} entries, feature has ${n}`);
    }
  }
  const newId = new Int32Array(n).fill(-1);
  const order: number[] = [0];
  newId[0] = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const feature = tree.feature[i] as number;
    if (feature < 0) continue; // leaf
    for (const child of [tree.left[i] as number, tree.right[i] as number]) {
      if (!Number.isInteger(child) || child < 0 || child >= n) {
        throw new Error(`${where(i)}: child index ${child} out of range [0, ${n})`);
      }
      if (newId[child] !== -1) {
        throw new Error(`${where(i)}: node ${child} is reached twice (not a tree)`);
      }
      newId[child] = order.length;
      order.push(child);
    }
  }
  for (const i of order) {
    const id = newId[i] as number;
    const feature = tree.feature[i] as number;
    out.treeIds.push(treeId);
    out.nodeIds.push(id);
    if (feature < 0) {
      if (feature !== -1) throw new Error(`${where(i)}: leaf feature must be -1, got ${feature}`);
      const v = tree.value[i] as number;
      if (!Number.isFinite(v)) throw new Error(`${where(i)}: leaf value ${v} is not finite`);
      out.featureIds.push(0);
      out.modes.push('LEAF');
      out.values.push(0);
      out.trueIds.push(0);
      out.falseIds.push(0);
      out.missingTracksTrue.push(0);
      out.leafTreeIds.push(treeId);
      out.leafNodeIds.push(id);
      out.leafWeights.push(v);
    } else {
      if (!Number.isInteger(feature) || feature >= featureCount) {
        throw new Error(`${where(i)}: feature ${feature} out of range [0, ${featureCount})`);
      }
      const t = tree.threshold[i] as number;
      if (Number.isNaN(t)) throw new Error(`${where(i)}: threshold is NaN`);
      out.featureIds.push(feature);
      out.modes.push('BRANCH_LEQ');
      out.values.push(t);
      out.trueIds.push(newId[tree.left[i] as number] as number);
      out.falseIds.push(newId[tree.right[i] as number] as number);
      out.missingTracksTrue.push(tree.missingLeft[i] ? 1 : 0);
    }
  }
}

function doubleTensor(name: string, values: readonly number[]): Attribute {
  return {
    name,
    type: 'tensor',
    value: { dims: [values.length], dataType: TensorDataType.DOUBLE, doubleData: values },
  };
}

/**
 * Exports a GBDT as an ONNX model (bytes of a ModelProto). `featureCount` is the width of the
 * "input" tensor ([N, featureCount]); `task` must match `body.objective`.
 */
export function exportGbdtToOnnx(
  body: GbdtBody,
  featureCount: number,
  task: Task,
  options: ExportGbdtOptions = {},
): Uint8Array {
  if (!Number.isInteger(featureCount) || featureCount < 1) {
    throw new Error(`featureCount must be a positive integer, got ${featureCount}`);
  }
  const expectedObjective = task === 'binary' ? 'binary_logloss' : 'squared_error';
  if (body.objective !== expectedObjective) {
    throw new Error(`task '${task}' needs objective '${expectedObjective}', body has '${body.objective}'`);
  }
  if (!Number.isFinite(body.baseScore)) throw new Error(`baseScore ${body.baseScore} is not finite`);
  const inputType = options.inputType ?? 'float';
  const isDouble = inputType === 'double';

  const flat: FlatEnsemble = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    modes: [],
    values: [],
    trueIds: [],
    falseIds: [],
    missingTracksTrue: [],
    leafTreeIds: [],
    leafNodeIds: [],
    leafWeights: [],
  };
  body.trees.forEach((tree, t) => flattenTree(tree, t, featureCount, flat));

  if (task === 'binary' && !flat.leafWeights.some((w) => w < 0)) {
    // See the module comment: keeps onnxruntime's label rule at raw > 0.
    const treeId = body.trees.length;
    flattenTree(
      { feature: [-1], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [TINY_NEGATIVE_WEIGHT] },
      treeId,
      featureCount,
      flat,
    );
  }
  if (flat.treeIds.length === 0) {
    // An ensemble without trees still needs one node: a single leaf of weight 0.
    flattenTree(
      { feature: [-1], threshold: [0], left: [-1], right: [-1], missingLeft: [false], value: [0] },
      0,
      featureCount,
      flat,
    );
  }

  // float32 input ⇒ float32 thresholds, rounded to nearest (Math.fround; see module comment).
  const thresholds = isDouble ? flat.values : flat.values.map((v) => Math.fround(v));

  const attributes: Attribute[] = [
    { name: 'nodes_treeids', type: 'ints', value: flat.treeIds },
    { name: 'nodes_nodeids', type: 'ints', value: flat.nodeIds },
    { name: 'nodes_featureids', type: 'ints', value: flat.featureIds },
    { name: 'nodes_modes', type: 'strings', value: flat.modes },
    isDouble
      ? doubleTensor('nodes_values_as_tensor', thresholds)
      : { name: 'nodes_values', type: 'floats', value: thresholds },
    { name: 'nodes_truenodeids', type: 'ints', value: flat.trueIds },
    { name: 'nodes_falsenodeids', type: 'ints', value: flat.falseIds },
    { name: 'nodes_missing_value_tracks_true', type: 'ints', value: flat.missingTracksTrue },
    isDouble
      ? doubleTensor('base_values_as_tensor', [body.baseScore])
      : { name: 'base_values', type: 'floats', value: [body.baseScore] },
  ];
  const zeros = new Array<number>(flat.leafWeights.length).fill(0);
  const elemType = isDouble ? TensorDataType.DOUBLE : TensorDataType.FLOAT;
  const input = { name: ONNX_INPUT_NAME, elemType, shape: ['N', featureCount] };

  let graph: Model['graph'];
  if (task === 'binary') {
    attributes.push(
      { name: 'class_treeids', type: 'ints', value: flat.leafTreeIds },
      { name: 'class_nodeids', type: 'ints', value: flat.leafNodeIds },
      { name: 'class_ids', type: 'ints', value: zeros },
      isDouble
        ? doubleTensor('class_weights_as_tensor', flat.leafWeights)
        : { name: 'class_weights', type: 'floats', value: flat.leafWeights },
      { name: 'classlabels_int64s', type: 'ints', value: [0, 1] },
      { name: 'post_transform', type: 'string', value: 'LOGISTIC' },
    );
    graph = {
      name: 'nightshift_gbdt_binary',
      nodes: [
        {
          name: 'TreeEnsembleClassifier',
          opType: 'TreeEnsembleClassifier',
          domain: ONNX_ML_DOMAIN,
          inputs: [ONNX_INPUT_NAME],
          outputs: [ONNX_LABEL_OUTPUT, ONNX_PROBABILITIES_OUTPUT],
          attributes,
        },
      ],
      inputs: [input],
      outputs: [
        { name: ONNX_LABEL_OUTPUT, elemType: TensorDataType.INT64, shape: ['N'] },
        { name: ONNX_PROBABILITIES_OUTPUT, elemType: TensorDataType.FLOAT, shape: ['N', 2] },
      ],
    };
  } else {
    attributes.push(
      { name: 'n_targets', type: 'int', value: 1 },
      { name: 'target_treeids', type: 'ints', value: flat.leafTreeIds },
      { name: 'target_nodeids', type: 'ints', value: flat.leafNodeIds },
      { name: 'target_ids', type: 'ints', value: zeros },
      isDouble
        ? doubleTensor('target_weights_as_tensor', flat.leafWeights)
        : { name: 'target_weights', type: 'floats', value: flat.leafWeights },
      { name: 'aggregate_function', type: 'string', value: 'SUM' },
      { name: 'post_transform', type: 'string', value: 'NONE' },
    );
    graph = {
      name: 'nightshift_gbdt_regression',
      nodes: [
        {
          name: 'TreeEnsembleRegressor',
          opType: 'TreeEnsembleRegressor',
          domain: ONNX_ML_DOMAIN,
          inputs: [ONNX_INPUT_NAME],
          outputs: [ONNX_REGRESSION_OUTPUT],
          attributes,
        },
      ],
      inputs: [input],
      outputs: [{ name: ONNX_REGRESSION_OUTPUT, elemType: TensorDataType.FLOAT, shape: ['N', 1] }],
    };
  }

  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImports: [
      { domain: '', version: ONNX_DEFAULT_OPSET },
      { domain: ONNX_ML_DOMAIN, version: ONNX_ML_OPSET },
    ],
    producerName: 'nightshift',
    producerVersion: options.producerVersion ?? '1',
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    graph,
  });
}
