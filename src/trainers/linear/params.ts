/**
 * Linear/logistic trainer parameters: one DEFAULTS object, validated once into a frozen object.
 * Every error is an NsError('NS_VALIDATION') naming the parameter and giving a valid example.
 */
import { NsError } from '../../errors.ts';
import type { Task } from '../types.ts';

export const LEARNING_RATE_SCHEDULES = ['constant', 'inverse-sqrt', 'inverse'] as const;
export type LearningRateSchedule = (typeof LEARNING_RATE_SCHEDULES)[number];

export interface LinearParams {
  /** 'binary' → logistic regression (log loss), 'regression' → linear regression (squared loss). Required. */
  task: Task;
  /** Step size of the first epoch (features are standardised, so ~0.01–0.3 is sensible). */
  learningRate: number;
  /**
   * How the step shrinks with the epoch e (0-based, restarting at 0 on each fit/partialFit call):
   * 'constant' → lr; 'inverse-sqrt' → lr / √(1 + e); 'inverse' → lr / (1 + e).
   */
  learningRateSchedule: LearningRateSchedule;
  /** Passes over the data per fit (or partialFit) call. */
  epochs: number;
  /** Rows per gradient step. */
  batchSize: number;
  /** L2 penalty on the weights (not the bias), per row: loss + l2/2 · ‖w‖². */
  l2: number;
  /** Seed for the shuffles; when absent the TrainContext seed is used. */
  seed?: number | undefined;
}

export const LINEAR_DEFAULTS: Readonly<Omit<LinearParams, 'task'>> = Object.freeze({
  learningRate: 0.05,
  learningRateSchedule: 'inverse-sqrt',
  epochs: 30,
  batchSize: 32,
  l2: 1e-4,
  seed: undefined,
});

const KEYS = ['task', 'learningRate', 'learningRateSchedule', 'epochs', 'batchSize', 'l2', 'seed'] as const;

const invalid = (field: string, value: unknown, rule: string, example: string) =>
  new NsError('NS_VALIDATION', `${field}=${JSON.stringify(value) ?? String(value)}: ${rule}; example ${example}`, {
    field,
    details: { value },
  });

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isWhole = (v: unknown, min: number, max: number): v is number =>
  isNumber(v) && Number.isInteger(v) && v >= min && v <= max;

/** Merges `input` over LINEAR_DEFAULTS and validates every field; unknown keys are rejected. */
export function resolveLinearParams(input: unknown = {}): Readonly<LinearParams> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('params', input, 'must be an object', '{ "epochs": 30 }');
  }
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new NsError('NS_VALIDATION', `${key}: unknown linear parameter (known: ${KEYS.join(', ')}); example "epochs": 30`, {
        field: key,
      });
    }
  }
  const p = { ...LINEAR_DEFAULTS, ...stripUndefined(raw) } as Record<string, unknown>;

  if (p.task !== 'binary' && p.task !== 'regression') {
    throw invalid('task', p.task, 'must be "binary" or "regression"', '"binary"');
  }
  if (!isNumber(p.learningRate) || p.learningRate <= 0 || p.learningRate > 10) {
    throw invalid('learningRate', p.learningRate, 'must be a number > 0 and ≤ 10', '0.05');
  }
  if (!(LEARNING_RATE_SCHEDULES as readonly unknown[]).includes(p.learningRateSchedule)) {
    throw invalid('learningRateSchedule', p.learningRateSchedule, `must be one of ${LEARNING_RATE_SCHEDULES.join(', ')}`, '"inverse-sqrt"');
  }
  if (!isWhole(p.epochs, 1, 100_000)) throw invalid('epochs', p.epochs, 'must be a whole number from 1 to 100000', '30');
  if (!isWhole(p.batchSize, 1, 1_000_000)) throw invalid('batchSize', p.batchSize, 'must be a whole number from 1 to 1000000', '32');
  if (!isNumber(p.l2) || p.l2 < 0) throw invalid('l2', p.l2, 'must be a number ≥ 0', '0.0001');
  if (p.seed !== undefined && !isWhole(p.seed, -(2 ** 31), 2 ** 32 - 1)) {
    throw invalid('seed', p.seed, 'must be a whole number (32-bit)', '42');
  }
  return Object.freeze({
    task: p.task,
    learningRate: p.learningRate,
    learningRateSchedule: p.learningRateSchedule as LearningRateSchedule,
    epochs: p.epochs,
    batchSize: p.batchSize,
    l2: p.l2,
    seed: p.seed as number | undefined,
  });
}

/** The step size of epoch `epoch` (0-based). */
export function learningRateAt(params: Readonly<LinearParams>, epoch: number): number {
  switch (params.learningRateSchedule) {
    case 'constant':
      return params.learningRate;
    case 'inverse-sqrt':
      return params.learningRate / Math.sqrt(1 + epoch);
    case 'inverse':
      return params.learningRate / (1 + epoch);
  }
}

function stripUndefined(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
}
