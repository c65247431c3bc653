/**
 * ONNX export of a linear or logistic model (LinearBody) as a graph of standard ai.onnx operators
 * (opset 15, IR version 8), in double precision throughout:
 *
 *   input: double [N, features]: the model's feature matrix, categorical features as codes, NaN missing
 *   numeric columns      Gather → (x − mean) / std → Where(IsNaN(x) or IsInf(x), 0, ·)
 *   each categorical one Gather → Equal(code, [0 … k−1]) → Cast → (· − mean) / std → × ReduceMax(hit)
 *   Concat → MatMul(weights) → Add(bias) = raw score
 *   binary     → label: int64 [N] (raw > 0), probabilities: double [N, 2] (1 − σ(raw), σ(raw))
 *   regression → variable: double [N, 1] (the raw score)
 *
 * It computes what LinearModel.predict does (standardizer.ts): a numeric value that is NaN or ±∞ is
 * imputed with its mean (standardised 0); a categorical code is one-hot encoded over the feature's
 * categories, and a code that is not one of 0 … k−1 (NaN, unseen, not an integer) counts as missing
 * (every one of its columns 0). Standardisation is the same IEEE operations as ours, so only the
 * order of the dot product's sum (MatMul) and the sigmoid differ: ~1e-15 relative.
 */

import type { FeatureInfo } from '../types.ts';
import type { LinearBody } from '../linear/model.ts';
import { inputLayout } from '../linear/standardizer.ts';
import {
  ONNX_DEFAULT_OPSET,
  ONNX_INPUT_NAME,
  ONNX_IR_VERSION,
  ONNX_LABEL_OUTPUT,
  ONNX_PROBABILITIES_OUTPUT,
  ONNX_REGRESSION_OUTPUT,
  type ExportGbdtOptions,
} from './export-gbdt.ts';
import { encodeModel, TensorDataType, type Node, type TensorValue } from './onnx-messages.ts';

/** As for the GBDT export, without the input type: a linear export always takes double input. */
export type ExportLinearOptions = Omit<ExportGbdtOptions, 'inputType'>;

const DOUBLE = TensorDataType.DOUBLE;

const doubles = (name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorValue => ({ name, dims, dataType: DOUBLE, doubleData: values });
const int64s = (name: string, values: readonly number[], dims: readonly number[] = [values.length]): TensorValue => ({ name, dims, dataType: TensorDataType.INT64, int64Data: values });
const node = (opType: string, inputs: readonly string[], output: string, attributes: Node['attributes'] = []): Node => ({ name: output, opType, domain: '', inputs, outputs: [output], attributes });

function check(body: LinearBody, width: number): void {
  if (body.task !== 'binary' && body.task !== 'regression') throw new Error(`task must be 'binary' or 'regression', got '${String(body.task)}'`);
  if (width === 0) throw new Error('the model has no input columns (every feature is categorical without categories)');
  for (const name of ['weights', 'mean', 'std'] as const) {
    const v = body[name];
    if (!Array.isArray(v) || v.length !== width) throw new Error(`${name} has ${Array.isArray(v) ? v.length : 'no'} entries but the features give ${width} input columns`);
    if (!v.every(Number.isFinite)) throw new Error(`${name} must be finite numbers`);
  }
  if (!body.std.every((s) => s > 0)) throw new Error('every std must be > 0');
  if (!Number.isFinite(body.bias)) throw new Error(`bias ${body.bias} is not finite`);
}

/**
 * Exports a linear model as an ONNX model (bytes of a ModelProto). `features` are the model's
 * features (artifact.features): their count is the width of the "input" tensor, and their
 * categories give the one-hot columns, in the order of `body`'s arrays (inputLayout).
 */
export function exportLinearToOnnx(body: LinearBody, features: readonly FeatureInfo[], options: ExportLinearOptions = {}): Uint8Array {
  if (features.length === 0) throw new Error('features must not be empty');
  const layout = inputLayout(features);
  check(body, layout.length);

  const nodes: Node[] = [];
  const initializers: TensorValue[] = [doubles('zero', [0], [])];
  /** Standardised parts, in Concat order, and the layout column behind each of their columns. */
  const parts: string[] = [];
  const order: number[] = [];
  const column = (name: 'mean' | 'std', columns: readonly number[]) => columns.map((c) => body[name][c]!);

  const numeric = layout.flatMap((col, c) => (col.category < 0 ? [c] : []));
  if (numeric.length > 0) {
    initializers.push(
      int64s('numeric_index', numeric.map((c) => layout[c]!.feature)),
      doubles('numeric_mean', column('mean', numeric)),
      doubles('numeric_std', column('std', numeric)),
    );
    nodes.push(
      node('Gather', [ONNX_INPUT_NAME, 'numeric_index'], 'numeric_x', [{ name: 'axis', type: 'int', value: 1 }]),
      node('IsNaN', ['numeric_x'], 'numeric_nan'),
      node('IsInf', ['numeric_x'], 'numeric_inf'),
      node('Or', ['numeric_nan', 'numeric_inf'], 'numeric_missing'),
      node('Sub', ['numeric_x', 'numeric_mean'], 'numeric_centered'),
      node('Div', ['numeric_centered', 'numeric_std'], 'numeric_z'),
      node('Where', ['numeric_missing', 'zero', 'numeric_z'], 'numeric_in'),
    );
    parts.push('numeric_in');
    order.push(...numeric);
  }

  features.forEach((f, j) => {
    const columns = layout.flatMap((col, c) => (col.feature === j && col.category >= 0 ? [c] : []));
    if (columns.length === 0) return;
    const p = `cat${j}`;
    initializers.push(
      int64s(`${p}_index`, [j]),
      doubles(`${p}_codes`, columns.map((c) => layout[c]!.category)),
      doubles(`${p}_mean`, column('mean', columns)),
      doubles(`${p}_std`, column('std', columns)),
    );
    nodes.push(
      node('Gather', [ONNX_INPUT_NAME, `${p}_index`], `${p}_x`, [{ name: 'axis', type: 'int', value: 1 }]),
      node('Equal', [`${p}_x`, `${p}_codes`], `${p}_hit`),
      node('Cast', [`${p}_hit`], `${p}_onehot`, [{ name: 'to', type: 'int', value: DOUBLE }]),
      // 1 when the code is one of the categories, 0 when it is missing or unknown (then every column is 0).
      node('ReduceMax', [`${p}_onehot`], `${p}_known`, [{ name: 'axes', type: 'ints', value: [1] }, { name: 'keepdims', type: 'int', value: 1 }]),
      node('Sub', [`${p}_onehot`, `${p}_mean`], `${p}_centered`),
      node('Div', [`${p}_centered`, `${p}_std`], `${p}_z`),
      node('Mul', [`${p}_z`, `${p}_known`], `${p}_in`),
    );
    parts.push(`${p}_in`);
    order.push(...columns);
  });

  initializers.push(doubles('weights', order.map((c) => body.weights[c]!), [order.length, 1]), doubles('bias', [body.bias]));
  const binary = body.task === 'binary';
  const raw = binary ? 'raw' : ONNX_REGRESSION_OUTPUT;
  nodes.push(node('Concat', parts, 'standardized', [{ name: 'axis', type: 'int', value: 1 }]), node('MatMul', ['standardized', 'weights'], 'dot'), node('Add', ['dot', 'bias'], raw));
  if (binary) {
    initializers.push(doubles('one', [1], []), int64s('flat', [-1]));
    nodes.push(
      node('Sigmoid', [raw], 'p1'),
      node('Sub', ['one', 'p1'], 'p0'),
      node('Concat', ['p0', 'p1'], ONNX_PROBABILITIES_OUTPUT, [{ name: 'axis', type: 'int', value: 1 }]),
      node('Greater', [raw, 'zero'], 'positive'),
      node('Cast', ['positive'], 'label_column', [{ name: 'to', type: 'int', value: TensorDataType.INT64 }]),
      node('Reshape', ['label_column', 'flat'], ONNX_LABEL_OUTPUT),
    );
  }

  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImports: [{ domain: '', version: ONNX_DEFAULT_OPSET }],
    producerName: 'nightshift',
    producerVersion: options.producerVersion ?? '1',
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    graph: {
      name: binary ? 'nightshift_linear_binary' : 'nightshift_linear_regression',
      nodes,
      initializers,
      inputs: [{ name: ONNX_INPUT_NAME, elemType: DOUBLE, shape: ['N', features.length] }],
      outputs: binary
        ? [
            { name: ONNX_LABEL_OUTPUT, elemType: TensorDataType.INT64, shape: ['N'] },
            { name: ONNX_PROBABILITIES_OUTPUT, elemType: DOUBLE, shape: ['N', 2] },
          ]
        : [{ name: ONNX_REGRESSION_OUTPUT, elemType: DOUBLE, shape: ['N', 1] }],
    },
  });
}
