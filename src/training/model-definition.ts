/**
 * A model declared for a tenant (config file `models:` or the API): where its rows come from, its
 * features, trainer, task, gate and training mode. One parser serves both; its errors are
 * NS_VALIDATION naming the field (`models[0].gate.thresholds.auc`) and a valid example.
 */
import { NsError } from '../errors.ts';
import { ID_RULE, ID_RULE_TEXT } from '../ids.ts';
import { featureLayout, parseFeatureSpec, type FeatureSpec } from '../data/features/index.ts';
import { DEFAULT_DATA_RANGE_DAYS } from '../data/types.ts';
import { resolveGbdtParams } from '../trainers/gbdt/index.ts';
import { resolveLinearParams } from '../trainers/linear/index.ts';
import type { Task } from '../trainers/types.ts';
import { CLASSIFICATION_METRICS, REGRESSION_METRICS, type GateConfig, type GateMetric } from './gate.ts';
import { parseRetrainPolicy, type RetrainPolicy } from '../policy/retrain-policy.ts';
import { parseModelAlerts, type ModelAlertThresholds } from '../monitor/alert-thresholds.ts';

export const MODEL_NAME_RULE = /^[a-z][a-z0-9_]{0,47}$/;
export const TRAINER_KINDS = ['gbdt', 'linear', 'command'] as const;
export type TrainerKind = (typeof TRAINER_KINDS)[number];

/** How to start a command trainer (docs/trainer-protocol.md); the job file is its last argument. */
export interface CommandTrainerConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Working directory; default the training's own fresh directory. */
  cwd: string | null;
  format: 'csv' | 'ndjson';
  /** The file the trainer writes: `.onnx`, or `.json` holding a nightshift-model artifact. */
  modelFile: string;
  /** The label column's name in the data file. */
  label: string;
}

export type TrainerSpec =
  | { kind: 'gbdt' | 'linear'; params: Record<string, unknown> }
  | { kind: 'command'; params: Record<string, unknown>; run: CommandTrainerConfig };

export type ModelSource =
  | { kind: 'store' }
  | { kind: 'csv'; path: string; tenantColumn: string | null }
  | { kind: 'sql'; url: string; query: string };

export interface ModelDefinition {
  /** Unique per tenant; versions are named `${name}_${tenant}_v${n}`. */
  name: string;
  description: string;
  task: Task;
  /** The tenant's dataset whose schema the rows follow (and, for the store source, hold them). */
  dataset: string;
  source: ModelSource;
  features: FeatureSpec;
  trainer: TrainerSpec;
  primaryMetric: GateMetric;
  gate: GateConfig;
  /** Null: the service's ML_TRAINING_MODE. */
  mode: 'full' | 'incremental' | null;
  dataRangeDays: number;
  /** Share of the window, latest first, held out for evaluation and the gate. */
  holdoutFraction: number;
  /** Incremental GBDT: trees added to the champion's. */
  incrementalTrees: number;
  /** Train once when the service starts and the model has no champion yet. */
  trainOnStart: boolean;
  seed: number;
  /** When a run really trains (src/policy); absent in declarations stored before policies existed: every run trains. */
  retrain?: RetrainPolicy;
  /** What predict requests must send; absent when the declaration says nothing (nothing is required). */
  predict?: PredictRules;
  /** Alert thresholds overriding the global ones (src/monitor/alert-thresholds.ts); absent when the declaration says nothing. */
  alerts?: ModelAlertThresholds;
}

export interface PredictRules {
  /** Raw columns a predict row may not leave out or send as null. */
  require: string[];
}

/** What may be left out, and what it becomes. */
export const MODEL_DEFAULTS = Object.freeze({
  dataRangeDays: DEFAULT_DATA_RANGE_DAYS,
  holdoutFraction: 0.2,
  incrementalTrees: 20,
  seed: 1,
  primaryMetric: { binary: 'auc', regression: 'r2' } as const,
  change: { maxDecrease: 0.02, maxRelativeDecrease: null },
});

const KEYS = [
  'name', 'description', 'task', 'dataset', 'source', 'features', 'trainer', 'primaryMetric', 'gate', 'mode',
  'dataRangeDays', 'holdoutFraction', 'incrementalTrees', 'trainOnStart', 'seed', 'retrain', 'predict', 'alerts',
] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (field: string, message: string, example?: string): NsError =>
  new NsError('NS_VALIDATION', `${field}: ${message}${example === undefined ? '' : `; example ${example}`}`, { field });

function onlyKeys(obj: Record<string, unknown>, field: string, allowed: readonly string[]): void {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw bad(field === '' ? extra : `${field}.${extra}`, `unknown property; allowed: ${allowed.join(', ')}`);
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw bad(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function number(v: unknown, field: string, min: number, max: number, example: string, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(field, `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`, example);
  }
  return v;
}

function text(v: unknown, field: string, example: string, max = 2000): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw bad(field, `must be a non-empty string (at most ${max} characters)`, example);
  return v;
}

/** The dataset a model reads: an id like every other (src/ids.ts). */
function datasetId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !ID_RE.test(v)) throw bad(field, `must be a dataset id: ${ID_RULE_TEXT} (pattern ${ID_RULE}), got ${JSON.stringify(v)}`, '"readings"');
  return v;
}
const ID_RE = new RegExp(ID_RULE);

const at = (prefix: string, key: string) => (prefix === '' ? key : `${prefix}.${key}`);

/** Validates one declaration; `prefix` names it in errors (`models[2]`, or '' for an API body). */
export function parseModelDefinition(input: unknown, prefix = '', nameOverride?: string, extraKeys: readonly string[] = []): ModelDefinition {
  if (!isRecord(input)) throw bad(prefix || 'body', 'must be an object describing the model', '{ "task": "binary", "dataset": "readings", "features": { "continuous": ["temp"] } }');
  const known = [...KEYS, ...extraKeys];
  onlyKeys(input, prefix, known);
  const name = nameOverride ?? input.name;
  if (typeof name !== 'string' || !MODEL_NAME_RULE.test(name)) {
    throw bad(at(prefix, 'name'), `must match ${MODEL_NAME_RULE.source}, got ${JSON.stringify(name)}`, '"failure"');
  }
  const task = oneOf(input.task, at(prefix, 'task'), ['binary', 'regression'] as const);
  const dataset = datasetId(input.dataset, at(prefix, 'dataset'));
  const metrics = task === 'binary' ? CLASSIFICATION_METRICS : REGRESSION_METRICS;
  const primaryMetric = input.primaryMetric === undefined ? MODEL_DEFAULTS.primaryMetric[task] : oneOf(input.primaryMetric, at(prefix, 'primaryMetric'), metrics);
  const trainer = parseTrainer(input.trainer, at(prefix, 'trainer'), task);
  let features: FeatureSpec;
  try {
    features = parseFeatureSpec(input.features, at(prefix, 'features'));
  } catch (error) {
    if (input.features === undefined) throw bad(at(prefix, 'features'), 'required: the columns the model learns from', '{ "continuous": ["temp", "vibration"] }');
    throw error;
  }
  const predict = input.predict === undefined ? undefined : parsePredictRules(input.predict, at(prefix, 'predict'), features);
  const alerts = parseModelAlerts(input.alerts, at(prefix, 'alerts'));
  return {
    name,
    description: input.description === undefined ? '' : text(input.description, at(prefix, 'description'), '"failure within 24 h"'),
    task,
    dataset,
    source: parseSource(input.source, at(prefix, 'source')),
    features,
    trainer,
    primaryMetric,
    gate: parseGate(input.gate, at(prefix, 'gate'), metrics, primaryMetric),
    mode: input.mode === undefined ? null : oneOf(input.mode, at(prefix, 'mode'), ['full', 'incremental'] as const),
    dataRangeDays: input.dataRangeDays === undefined ? MODEL_DEFAULTS.dataRangeDays : number(input.dataRangeDays, at(prefix, 'dataRangeDays'), 1, 3660, '180', true),
    holdoutFraction: input.holdoutFraction === undefined ? MODEL_DEFAULTS.holdoutFraction : number(input.holdoutFraction, at(prefix, 'holdoutFraction'), 0.05, 0.5, '0.2'),
    incrementalTrees: input.incrementalTrees === undefined ? MODEL_DEFAULTS.incrementalTrees : number(input.incrementalTrees, at(prefix, 'incrementalTrees'), 1, 10_000, '20', true),
    trainOnStart: input.trainOnStart === undefined ? false : boolean(input.trainOnStart, at(prefix, 'trainOnStart')),
    seed: input.seed === undefined ? MODEL_DEFAULTS.seed : number(input.seed, at(prefix, 'seed'), 0, 2 ** 31 - 1, '1', true),
    retrain: parseRetrainPolicy(input.retrain, at(prefix, 'retrain'), metrics, primaryMetric),
    // Only when given: a declaration without it keeps the stored form (and the config file's hash) it had.
    ...(predict ? { predict } : {}),
    ...(alerts ? { alerts } : {}),
  };
}

/** `predict: { require: [column, …] }`: raw columns the features read, each at most once. */
function parsePredictRules(v: unknown, field: string, features: FeatureSpec): PredictRules {
  if (!isRecord(v)) throw bad(field, 'must be an object', '{ "require": ["temperature"] }');
  onlyKeys(v, field, ['require']);
  const { raw } = featureLayout(features);
  const readable = [...new Set([...raw.continuous, ...raw.categorical, ...raw.lags, ...raw.rolling])];
  if (v.require === undefined) return { require: [] };
  if (!Array.isArray(v.require)) throw bad(`${field}.require`, 'must be a list of column names', '["temperature"]');
  const require: string[] = [];
  v.require.forEach((c: unknown, i) => {
    const f = `${field}.require[${i}]`;
    if (typeof c !== 'string' || !readable.includes(c)) throw bad(f, `${JSON.stringify(c)} is not a column the features read; they read ${readable.join(', ')}`);
    if (require.includes(c)) throw bad(f, `"${c}" is listed twice`);
    require.push(c);
  });
  return { require };
}

function boolean(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw bad(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function parseTrainer(v: unknown, field: string, task: Task): TrainerSpec {
  if (v === undefined) return { kind: 'gbdt', params: { objective: task === 'binary' ? 'binary_logloss' : 'squared_error' } };
  if (!isRecord(v)) throw bad(field, 'must be an object', '{ "kind": "gbdt", "params": { "numTrees": 100 } }');
  const kind = oneOf(v.kind, `${field}.kind`, TRAINER_KINDS);
  const given = v.params === undefined ? {} : v.params;
  if (!isRecord(given)) throw bad(`${field}.params`, 'must be an object of trainer parameters', '{ "numTrees": 100 }');
  if (kind === 'command') return { kind, params: { ...given }, run: parseCommandTrainer(v, field) };
  onlyKeys(v, field, ['kind', 'params']);
  // The task decides the objective; a contradicting one is an error rather than a surprise.
  const params: Record<string, unknown> = kind === 'gbdt' ? { objective: task === 'binary' ? 'binary_logloss' : 'squared_error', ...given } : { task, ...given };
  try {
    if (kind === 'gbdt') {
      const objective = task === 'binary' ? 'binary_logloss' : 'squared_error';
      if (params.objective !== objective) throw bad('params.objective', `${JSON.stringify(params.objective)} does not match task "${task}"; use "${objective}" or leave objective out (the task sets it)`);
      resolveGbdtParams(params);
    } else {
      if (params.task !== task) throw bad('params.task', `${JSON.stringify(params.task)} does not match the model's task "${task}"; leave task out of the params (the model's task sets it)`);
      resolveLinearParams(params);
    }
  } catch (error) {
    if (error instanceof NsError) {
      // GBDT errors name `params.x` already; the linear trainer's name `x`.
      const inner = error.field?.startsWith('params') ? '' : 'params.';
      throw new NsError('NS_VALIDATION', `${field}.${inner}${error.message}`, { field: `${field}.${inner}${error.field ?? ''}`.replace(/\.$/, ''), cause: error });
    }
    throw error;
  }
  return { kind, params };
}

const COMMAND_KEYS = ['kind', 'params', 'command', 'args', 'env', 'cwd', 'format', 'modelFile', 'label'];

/** A command trainer's start-up: the program, its arguments and environment, the data and model file formats. */
function parseCommandTrainer(v: Record<string, unknown>, field: string): CommandTrainerConfig {
  onlyKeys(v, field, COMMAND_KEYS);
  const command = text(v.command, `${field}.command`, '"python3"', 1000);
  let args: string[] = [];
  if (v.args !== undefined) {
    if (!Array.isArray(v.args) || !v.args.every((a) => typeof a === 'string')) throw bad(`${field}.args`, 'must be a list of strings', '["trainers/train.py"]');
    args = [...(v.args as string[])];
  }
  const env: Record<string, string> = {};
  if (v.env !== undefined) {
    if (!isRecord(v.env) || !Object.values(v.env).every((e) => typeof e === 'string')) throw bad(`${field}.env`, 'must map variable names to strings', '{ "OMP_NUM_THREADS": "2" }');
    Object.assign(env, v.env);
  }
  const modelFile = v.modelFile === undefined ? 'model.onnx' : text(v.modelFile, `${field}.modelFile`, '"model.onnx"', 200);
  if (!/^[A-Za-z0-9_.-]+\.(onnx|json)$/.test(modelFile) || modelFile.startsWith('.')) {
    throw bad(`${field}.modelFile`, `must be a plain file name ending in .onnx (an ONNX model) or .json (a nightshift-model artifact), got ${JSON.stringify(modelFile)}`, '"model.onnx"');
  }
  return {
    command,
    args,
    env,
    cwd: v.cwd === undefined ? null : text(v.cwd, `${field}.cwd`, '"/srv/trainers"', 1000),
    format: v.format === undefined ? 'csv' : oneOf(v.format, `${field}.format`, ['csv', 'ndjson'] as const),
    modelFile,
    label: v.label === undefined ? 'label' : text(v.label, `${field}.label`, '"label"', 128),
  };
}

function parseSource(v: unknown, field: string): ModelSource {
  if (v === undefined) return { kind: 'store' };
  if (!isRecord(v)) throw bad(field, 'must be an object', '{ "kind": "csv", "path": "data/{tenant}.csv" }');
  const kind = oneOf(v.kind, `${field}.kind`, ['store', 'csv', 'sql'] as const);
  if (kind === 'store') {
    onlyKeys(v, field, ['kind']);
    return { kind };
  }
  if (kind === 'csv') {
    onlyKeys(v, field, ['kind', 'path', 'tenantColumn']);
    const tenantColumn = v.tenantColumn === undefined ? null : text(v.tenantColumn, `${field}.tenantColumn`, '"tenant"', 128);
    return { kind, path: text(v.path, `${field}.path`, '"data/{tenant}.csv"'), tenantColumn };
  }
  onlyKeys(v, field, ['kind', 'url', 'query']);
  const url = text(v.url, `${field}.url`, '"postgres://user@db/app"');
  if (!/^postgres(ql)?:\/\//.test(url)) throw bad(`${field}.url`, 'must be a postgres:// connection string', '"postgres://user@db/app"');
  return { kind, url, query: text(v.query, `${field}.query`, '"SELECT … WHERE tenant_id = :tenant_id"', 20_000) };
}

function parseGate(v: unknown, field: string, metrics: readonly GateMetric[], primary: GateMetric): GateConfig {
  const defaultChange = { metric: primary, ...MODEL_DEFAULTS.change };
  if (v === undefined) return { thresholds: {}, change: defaultChange };
  if (!isRecord(v)) throw bad(field, 'must be an object', '{ "thresholds": { "auc": 0.7 }, "change": { "maxDecrease": 0.02 } }');
  onlyKeys(v, field, ['thresholds', 'change']);
  const thresholds: Partial<Record<GateMetric, number>> = {};
  if (v.thresholds !== undefined) {
    if (!isRecord(v.thresholds)) throw bad(`${field}.thresholds`, 'must map metric names to bounds', '{ "auc": 0.7 }');
    for (const [metric, bound] of Object.entries(v.thresholds)) {
      const m = oneOf(metric, `${field}.thresholds.${metric}`, metrics);
      thresholds[m] = number(bound, `${field}.thresholds.${metric}`, -1e12, 1e12, '0.7');
    }
  }
  if (v.change === null || v.change === false) return { thresholds, change: null };
  if (v.change === undefined) return { thresholds, change: defaultChange };
  if (!isRecord(v.change)) throw bad(`${field}.change`, 'must be an object, or false for no comparison with the champion', '{ "maxDecrease": 0.02 }');
  onlyKeys(v.change, `${field}.change`, ['metric', 'maxDecrease', 'maxRelativeDecrease']);
  const c = v.change;
  const tolerance = (key: 'maxDecrease' | 'maxRelativeDecrease', example: string) =>
    c[key] === undefined || c[key] === null ? null : number(c[key], `${field}.change.${key}`, 0, 1e12, example);
  const maxDecrease = tolerance('maxDecrease', '0.02');
  const maxRelativeDecrease = tolerance('maxRelativeDecrease', '0.05');
  return {
    thresholds,
    change: {
      metric: c.metric === undefined ? primary : oneOf(c.metric, `${field}.change.metric`, metrics),
      // Neither given: the candidate may not be worse at all.
      maxDecrease: maxDecrease === null && maxRelativeDecrease === null ? 0 : maxDecrease,
      maxRelativeDecrease,
    },
  };
}
