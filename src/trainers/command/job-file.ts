/**
 * The JSON job file a command trainer receives (protocol version 1, docs/trainer-protocol.md):
 * what to train, on which data file, with which params, and where to write the outputs.
 * Paths nightshift writes are absolute; `parseJobFile` resolves relative ones against a base dir
 * so a hand-written job file (the Python example's sample) works too.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NsError } from '../../errors.ts';
import type { FeatureInfo, Task } from '../types.ts';

export const TRAINER_PROTOCOL_VERSION = 1;

export const DATA_FORMATS = ['csv', 'ndjson'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export const TRAIN_MODES = ['full', 'incremental'] as const;
export type TrainMode = (typeof TRAIN_MODES)[number];

/** The file names nightshift uses inside a trainer's work directory. */
export const WORK_FILES = {
  job: 'job.json',
  output: 'output',
  metrics: 'metrics.json',
  data: (format: DataFormat) => `data.${format}`,
  validation: (format: DataFormat) => `validation.${format}`,
} as const;

export interface JobFilePaths {
  /** The training rows (CSV or NDJSON, see `dataFormat`). */
  data: string;
  /** Optional held-out rows in the same format. */
  validation?: string;
  /** Incremental mode: the model file of the previous version, to continue from. */
  previousModel?: string;
  /** Where the trainer writes its outputs; exists and is empty when the trainer starts. */
  outputDir: string;
  /** The model file the trainer must write (inside outputDir). */
  model: string;
  /** The metrics JSON the trainer must write (inside outputDir): an object of finite numbers. */
  metrics: string;
}

export interface JobFileFeature {
  name: string;
  type: FeatureInfo['type'];
  /** Categorical features: the data file holds integer codes, code i ↔ categories[i]. */
  categories?: string[];
}

export interface TrainerJobFile {
  protocol: typeof TRAINER_PROTOCOL_VERSION;
  tenantId: string;
  modelName: string;
  task: Task;
  mode: TrainMode;
  params: Record<string, unknown>;
  dataFormat: DataFormat;
  paths: JobFilePaths;
  /** Feature columns, in data-file column order (the label column comes last). */
  features: JobFileFeature[];
  /** Name of the label column. */
  label: string;
  /** Everything random in the trainer should derive from this. */
  seed: number;
}

export function jobFileJson(job: TrainerJobFile): string {
  return `${JSON.stringify(job, null, 2)}\n`;
}

export async function writeJobFile(file: string, job: TrainerJobFile): Promise<void> {
  await writeFile(file, jobFileJson(job), { encoding: 'utf8', flag: 'wx' });
}

export async function readJobFile(file: string): Promise<TrainerJobFile> {
  const text = await readFile(file, 'utf8');
  return parseJobFile(text, path.dirname(path.resolve(file)));
}

/** Parses and validates a job file; relative paths are resolved against `baseDir`. */
export function parseJobFile(text: string, baseDir = '.'): TrainerJobFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalid('job', `not valid JSON: ${(error as Error).message}`);
  }
  const o = record(raw, 'job');
  if (o.protocol !== TRAINER_PROTOCOL_VERSION) throw invalid('protocol', `expected ${TRAINER_PROTOCOL_VERSION}, got ${JSON.stringify(o.protocol)}`);
  const paths = record(o.paths, 'paths');
  const at = (field: string, value: unknown) => path.resolve(baseDir, nonEmpty(value, `paths.${field}`));
  const optionalPath = (field: string, value: unknown) => (value === undefined || value === null ? {} : { [field]: at(field, value) });
  const mode = oneOf(o.mode, TRAIN_MODES, 'mode');
  const job: TrainerJobFile = {
    protocol: TRAINER_PROTOCOL_VERSION,
    tenantId: nonEmpty(o.tenantId, 'tenantId'),
    modelName: nonEmpty(o.modelName, 'modelName'),
    task: oneOf(o.task, ['binary', 'regression'] as const, 'task'),
    mode,
    params: record(o.params, 'params'),
    dataFormat: oneOf(o.dataFormat, DATA_FORMATS, 'dataFormat'),
    paths: {
      data: at('data', paths.data),
      ...optionalPath('validation', paths.validation),
      ...optionalPath('previousModel', paths.previousModel),
      outputDir: at('outputDir', paths.outputDir),
      model: at('model', paths.model),
      metrics: at('metrics', paths.metrics),
    },
    features: featureList(o.features),
    label: nonEmpty(o.label, 'label'),
    seed: seed(o.seed),
  };
  if (mode === 'incremental' && job.paths.previousModel === undefined) throw invalid('paths.previousModel', 'required in incremental mode');
  checkColumnNames(job.features.map((f) => f.name), job.label);
  return job;
}

/** Column names must be distinct and the label must not shadow a feature. */
export function checkColumnNames(features: readonly string[], label: string): void {
  const seen = new Set<string>();
  for (const name of [...features, label]) {
    if (name === '') throw invalid('features', 'a column name is empty');
    if (seen.has(name)) throw invalid('features', `column "${name}" appears twice (features and label must have distinct names)`);
    seen.add(name);
  }
}

function featureList(value: unknown): JobFileFeature[] {
  if (!Array.isArray(value)) throw invalid('features', 'must be an array');
  return value.map((item: unknown, i) => {
    const f = record(item, `features[${i}]`);
    const type = oneOf(f.type, ['numeric', 'categorical'] as const, `features[${i}].type`);
    const feature: JobFileFeature = { name: nonEmpty(f.name, `features[${i}].name`), type };
    if (f.categories !== undefined) {
      if (!Array.isArray(f.categories) || !f.categories.every((c) => typeof c === 'string')) throw invalid(`features[${i}].categories`, 'must be an array of strings');
      feature.categories = [...(f.categories as string[])];
    }
    return feature;
  });
}

function seed(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid('seed', `must be an integer, got ${JSON.stringify(value)}`);
  return value;
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function nonEmpty(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, 'must be a non-empty string');
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(field, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
}

function invalid(field: string, message: string): NsError {
  return new NsError('NS_VALIDATION', `trainer job file: ${field}: ${message}`, { field });
}
