/**
 * Serving an ONNX model (exported by us, or converted elsewhere, e.g. LightGBM via onnxmltools)
 * through onnxruntime-node: Matrix in, Float64Array out (probability of class 1 for a binary
 * classifier, the value for a regressor).
 *
 * onnxruntime-node is loaded lazily (dynamic import) so that modules that only export models do
 * not load the native library.
 *
 * Discovery:
 *  - input: the model must have exactly one input, a float32 or float64 tensor [N, d] (or [d]);
 *    rows are fed row-major in that element type (NaN = missing).
 *  - output: `options.outputName`, else the float tensor output whose name contains "prob"
 *    (e.g. "probabilities", "output_probability"), else the only float tensor output. Integer
 *    outputs (labels) and non-tensor outputs (a ZipMap's sequence of maps) are never read — a model
 *    whose probabilities only come out of a ZipMap is refused with an explanation.
 *  - reading it: [N, 2] → column 1 (class-1 probability); [N, 1] or [N] → that value.
 */

import { readFile } from 'node:fs/promises';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Matrix, Task } from '../types.ts';

type Ort = typeof import('onnxruntime-node');

let ortPromise: Promise<Ort> | undefined;
function loadOrt(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node');
  return ortPromise;
}

export interface OnnxModelOptions {
  /** Read this output instead of the discovered one. */
  outputName?: string;
  /** Override the discovered task (informational; reading follows the output's width). */
  task?: Task;
  /** Passed to onnxruntime (e.g. intraOpNumThreads). */
  sessionOptions?: InferenceSession.SessionOptions;
}

export interface OnnxValueInfo {
  name: string;
  isTensor: boolean;
  /** onnxruntime tensor type ('float32', 'int64', …); undefined for non-tensor values. */
  type?: string;
  /** Symbolic dims are strings; [] when unknown. */
  shape: readonly (number | string)[];
}

const isFloatType = (t: string | undefined): boolean => t === 'float32' || t === 'float64';

function describe(meta: InferenceSession.ValueMetadata): OnnxValueInfo {
  return meta.isTensor
    ? { name: meta.name, isTensor: true, type: meta.type, shape: meta.shape }
    : { name: meta.name, isTensor: false, shape: [] };
}

export class OnnxModel {
  readonly kind = 'onnx' as const;

  private constructor(
    private readonly ort: Ort,
    private readonly session: InferenceSession,
    readonly inputName: string,
    readonly inputType: 'float32' | 'float64',
    /** Width of the input tensor, when the model declares it. */
    readonly featureCount: number | undefined,
    readonly outputName: string,
    readonly task: Task,
    readonly inputs: readonly OnnxValueInfo[],
    readonly outputs: readonly OnnxValueInfo[],
  ) {}

  /** Loads a model from .onnx bytes or a file path. */
  static async load(source: Uint8Array | string, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const ort = await loadOrt();
    const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
    const session = await ort.InferenceSession.create(bytes, options.sessionOptions ?? {});
    try {
      return OnnxModel.fromSession(ort, session, options);
    } catch (err) {
      await session.release().catch(() => undefined);
      throw err;
    }
  }

  private static fromSession(ort: Ort, session: InferenceSession, options: OnnxModelOptions): OnnxModel {
    const inputs = session.inputMetadata.map(describe);
    const outputs = session.outputMetadata.map(describe);

    if (inputs.length !== 1) {
      throw new Error(
        `ONNX model must have exactly one input (a [N, features] float tensor); it has ${inputs.length}: ` +
          inputs.map((i) => i.name).join(', '),
      );
    }
    const input = inputs[0] as OnnxValueInfo;
    if (!input.isTensor || (input.type !== 'float32' && input.type !== 'float64')) {
      throw new Error(
        `ONNX model input '${input.name}' must be a float32 or float64 tensor, it is ${input.type ?? 'not a tensor'}`,
      );
    }
    const lastInputDim = input.shape.length >= 1 ? input.shape[input.shape.length - 1] : undefined;
    const featureCount = typeof lastInputDim === 'number' && lastInputDim > 0 ? lastInputDim : undefined;

    let output: OnnxValueInfo | undefined;
    if (options.outputName !== undefined) {
      output = outputs.find((o) => o.name === options.outputName);
      if (!output) {
        throw new Error(
          `ONNX model has no output '${options.outputName}'; outputs: ${outputs.map((o) => o.name).join(', ')}`,
        );
      }
      if (!output.isTensor || !isFloatType(output.type)) {
        throw new Error(`ONNX output '${output.name}' is not a float tensor (${output.type ?? 'non-tensor'})`);
      }
    } else {
      const floats = outputs.filter((o) => o.isTensor && isFloatType(o.type));
      output = floats.find((o) => /prob/i.test(o.name)) ?? (floats.length === 1 ? floats[0] : undefined);
      if (!output) {
        const zipmap = outputs.some((o) => !o.isTensor);
        throw new Error(
          floats.length === 0
            ? `ONNX model has no float tensor output${
                zipmap ? ' (its probabilities are a ZipMap sequence of maps; convert it with zipmap=False)' : ''
              }; outputs: ${outputs.map((o) => `${o.name}:${o.type ?? 'non-tensor'}`).join(', ')}`
            : `ONNX model has several float outputs (${floats.map((o) => o.name).join(', ')}); pass outputName`,
        );
      }
    }
    const lastOutputDim = output.shape.length >= 2 ? output.shape[output.shape.length - 1] : undefined;
    const task: Task =
      options.task ?? (lastOutputDim === 2 || /prob/i.test(output.name) ? 'binary' : 'regression');

    return new OnnxModel(
      ort,
      session,
      input.name,
      input.type,
      featureCount,
      output.name,
      task,
      inputs,
      outputs,
    );
  }

  /** Probability of class 1 (binary) or the value (regression), one per row. */
  async predict(X: Matrix): Promise<Float64Array> {
    const rows = X.rows;
    const d = X.columns.length;
    if (this.featureCount !== undefined && d !== this.featureCount) {
      throw new Error(`ONNX model expects ${this.featureCount} features, got ${d}`);
    }
    if (rows === 0) return new Float64Array(0);
    const data = this.inputType === 'float32' ? new Float32Array(rows * d) : new Float64Array(rows * d);
    for (let j = 0; j < d; j++) {
      const col = X.columns[j] as Float64Array;
      if (col.length < rows) throw new Error(`column ${j} has ${col.length} values, expected ${rows}`);
      for (let i = 0, k = j; i < rows; i++, k += d) data[k] = col[i] as number;
    }
    const tensor = new this.ort.Tensor(this.inputType, data, [rows, d]);
    const result = await this.session.run({ [this.inputName]: tensor }, [this.outputName]);
    const out = result[this.outputName] as Tensor | undefined;
    if (!out) throw new Error(`onnxruntime returned no '${this.outputName}'`);
    const values = out.data as Float32Array | Float64Array;
    const width = out.dims.length <= 1 ? 1 : values.length / rows;
    if (values.length !== rows * width || (width !== 1 && width !== 2)) {
      throw new Error(
        `ONNX output '${this.outputName}' has shape [${out.dims.join(', ')}]; expected [${rows}], [${rows}, 1] or [${rows}, 2]`,
      );
    }
    if (width === 2 && this.task === 'regression') {
      throw new Error(`ONNX output '${this.outputName}' has 2 columns but the task is regression`);
    }
    const pred = new Float64Array(rows);
    const col = width === 2 ? 1 : 0;
    for (let i = 0; i < rows; i++) pred[i] = values[i * width + col] as number;
    out.dispose?.();
    return pred;
  }

  /** Releases the native session; the model cannot predict afterwards. */
  async dispose(): Promise<void> {
    await this.session.release();
  }
}
