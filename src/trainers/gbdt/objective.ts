/**
 * Objectives: the starting score, per-row gradients/hessians of the loss w.r.t. the raw score, and
 * the loss itself (reported as progress and used for early stopping).
 *   binary_logloss: base = log(p/(1−p)), g = σ(raw) − y, h = σ(raw)(1 − σ(raw)); loss = mean logloss
 *   squared_error:  base = mean(y),      g = raw − y,     h = 1;                 loss = mean (raw − y)²
 */
import { NsError } from '../../errors.ts';
import type { Task } from '../types.ts';
import type { GbdtObjectiveName } from './params.ts';
import type { Quantization } from './quantize.ts';
import type { Workspace } from './workspace.ts';

export interface Objective {
  readonly name: GbdtObjectiveName;
  readonly task: Task;
  /** True when every hessian is 1, so histograms need not sum them. */
  readonly unitHessian: boolean;
  /**
   * Bounds of |g| and h known in advance (log-loss: 1 and ¼), so one quantization (quantize.ts)
   * serves the whole training; null: |g| is measured per tree (squared error; its h is 1).
   */
  readonly bounds: { g: number; h: number } | null;
  checkLabels(y: Float64Array, rows: number, field: string): void;
  baseScore(y: Float64Array, rows: number): number;
  /**
   * Gradient/hessian pairs of rows [from, to) from the scores in the workspace, into ws.gh:
   * quantized with `q`, or (q null) as float64 [g, h], returning the largest |g| among them.
   * Binary log-loss: `exact` computes e^−raw (into ws.ex) with Math.exp; otherwise it uses ws.ex as
   * kept up to date by addLeaf.
   */
  gradients(ws: Workspace, from: number, to: number, exact: boolean, q: Quantization | null): number;
  /**
   * Adds `value` to the scores of the rows idx[start, end); with `keepExp`, binary log-loss also
   * multiplies their e^−raw by e^−value, so the next gradients need no exponential per row.
   */
  addLeaf(ws: Workspace, start: number, end: number, value: number, keepExp: boolean): void;
  loss(raw: Float64Array, y: Float64Array, rows: number): number;
}

export const sigmoid = (raw: number): number => {
  if (raw >= 0) return 1 / (1 + Math.exp(-raw));
  const e = Math.exp(raw);
  return e / (1 + e);
};

const binaryLogloss: Objective = {
  name: 'binary_logloss',
  task: 'binary',
  unitHessian: false,
  bounds: { g: 1, h: 0.25 },
  checkLabels(y, rows, field) {
    for (let i = 0; i < rows; i++) {
      const v = y[i];
      if (v !== 0 && v !== 1) {
        throw new NsError('NS_VALIDATION', `${field}: binary_logloss needs labels 0 or 1; row ${i} has ${v}`, { field });
      }
    }
  },
  baseScore(y, rows) {
    let pos = 0;
    for (let i = 0; i < rows; i++) pos += y[i]!;
    const p = Math.min(Math.max(pos / rows, 1e-15), 1 - 1e-15);
    return Math.log(p / (1 - p));
  },
  gradients(ws, from, to, exact, q) {
    const { at, kernels: k } = ws;
    if (!exact && q) {
      k.loglossPairs(at.ex, at.y, at.gh, from, to, q.gScale, q.hScale, q.countBits);
      return 1;
    }
    const { raw, y, gh, ex } = ws;
    for (let i = from; i < to; i++) {
      // exp(−r) may overflow to Infinity for r ≪ 0, giving p = 0: still the right limit.
      const e = exact ? Math.exp(-raw[i]!) : ex[i]!;
      ex[i] = e;
      const p = 1 / (1 + e);
      gh[2 * i] = p - y[i]!;
      gh[2 * i + 1] = p * (1 - p);
    }
    if (q) k.quantizePairs(at.gh, from, to, q.gScale, q.hScale, q.countBits);
    return 1;
  },
  addLeaf(ws, start, end, value, keepExp) {
    const { at, kernels: k } = ws;
    if (keepExp) k.addLeafExp(at.idx, at.raw, at.ex, start, end, value, Math.exp(-value));
    else k.addLeaf(at.idx, at.raw, start, end, value);
  },
  loss(raw, y, rows) {
    // log(1 + e^r) − y·r, computed without overflow.
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      const r = raw[i]!;
      sum += (r > 0 ? r + Math.log1p(Math.exp(-r)) : Math.log1p(Math.exp(r))) - y[i]! * r;
    }
    return sum / rows;
  },
};

const squaredError: Objective = {
  name: 'squared_error',
  task: 'regression',
  unitHessian: true,
  bounds: null,
  checkLabels(y, rows, field) {
    for (let i = 0; i < rows; i++) {
      if (!Number.isFinite(y[i])) {
        throw new NsError('NS_VALIDATION', `${field}: squared_error needs finite labels; row ${i} has ${y[i]}`, { field });
      }
    }
  },
  baseScore(y, rows) {
    let sum = 0;
    for (let i = 0; i < rows; i++) sum += y[i]!;
    return sum / rows;
  },
  gradients(ws, from, to, _exact, q) {
    const { raw, y, gh } = ws;
    let max = 0;
    for (let i = from; i < to; i++) {
      const g = raw[i]! - y[i]!;
      gh[2 * i] = g;
      gh[2 * i + 1] = 1;
      const a = Math.abs(g);
      if (a > max) max = a;
    }
    if (q) ws.kernels.quantizePairs(ws.at.gh, from, to, q.gScale, q.hScale, q.countBits);
    return max;
  },
  addLeaf(ws, start, end, value) {
    const at = ws.at;
    ws.kernels.addLeaf(at.idx, at.raw, start, end, value);
  },
  loss(raw, y, rows) {
    let sum = 0;
    for (let i = 0; i < rows; i++) {
      const d = raw[i]! - y[i]!;
      sum += d * d;
    }
    return sum / rows;
  },
};

export const OBJECTIVES: Readonly<Record<GbdtObjectiveName, Objective>> = Object.freeze({
  binary_logloss: binaryLogloss,
  squared_error: squaredError,
});
