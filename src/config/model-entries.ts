/**
 * The config file's `models:` and `datasets:` lists. A model entry is a model declaration (see
 * src/training/model-definition.ts) plus the tenants it is declared for and its training job's
 * timeout and retries; a dataset entry declares a tenant dataset, optionally filled with generated
 * predictive-maintenance data on first start (the demo).
 */
import path from 'node:path';
import { isNsError, NsError } from '../errors.ts';
import { DURATION_RANGES } from '../limits.ts';
import { checkDatasetDefinition, type DatasetDefinition } from '../data/ingest/dataset-definition.ts';
import { syntheticSchema } from '../data/synthetic/index.ts';
import { parseModelDefinition, type ModelDefinition } from '../training/model-definition.ts';
import type { DatasetGenerator, RetryPolicy } from './types.ts';
import { checkKeys, child, eachMap, invalidField, isPlainObject, required, toDurationMs, toId, toInteger, toStringList, type At } from './values.ts';

export interface ModelInput {
  at: At;
  id: string;
  definition: ModelDefinition;
  tenants: string[] | null;
  timeoutMs: number | undefined;
  retry: Partial<RetryPolicy>;
  /** Jobs whose success (for a tenant) queues a training of the model for that tenant. */
  after: string[];
}

export interface DatasetInput {
  at: At;
  id: string;
  tenants: string[] | null;
  /** The schema without tenant (checked with a placeholder tenant). */
  schema: DatasetDefinition;
  generate: DatasetGenerator | null;
}

/** A model-definition error re-read as a config error at the entry's path. */
function asConfig(error: unknown, at: At): never {
  if (!isNsError(error)) throw error;
  const prefix = at.file === null ? '' : `${at.file}: `;
  throw new NsError('NS_CONFIG_INVALID', `${prefix}${error.message}`, { field: error.field ?? at.path, ...(at.file === null ? {} : { details: { file: at.file } }), cause: error });
}

export function parseModels(raw: unknown, at: At, parseRetry: (raw: unknown, at: At) => Partial<RetryPolicy>): ModelInput[] {
  return eachMap(raw, at, (m, at) => {
    const { tenants, timeout, retry, after, ...declaration } = m;
    let definition: ModelDefinition;
    try {
      definition = parseModelDefinition(declaration, at.path, undefined, ['tenants', 'timeout', 'retry', 'after']);
    } catch (error) {
      asConfig(error, at);
    }
    return {
      at,
      id: definition.name,
      definition: withTrainerDirectory(definition, at),
      tenants: tenants === undefined ? null : toStringList(tenants, child(at, 'tenants'), 'acme').map((id, i) => toId(id, child(child(at, 'tenants'), i), 'acme')),
      timeoutMs: timeout === undefined ? undefined : toDurationMs(timeout, child(at, 'timeout'), { example: '30m', range: DURATION_RANGES.timeout }),
      retry: parseRetry(retry, child(at, 'retry')),
      after: after === undefined ? [] : toStringList(after, child(at, 'after'), 'etl').map((id, i) => toId(id, child(child(at, 'after'), i), 'etl')),
    };
  });
}

/**
 * A command trainer declared in the file runs in the file's directory unless it says otherwise, and
 * its `cwd` is relative to it: `args: [trainers/train.py]` works wherever the service is started.
 */
function withTrainerDirectory(definition: ModelDefinition, at: At): ModelDefinition {
  if (definition.trainer.kind !== 'command' || at.file === null) return definition;
  const base = path.dirname(path.resolve(at.file));
  const cwd = definition.trainer.run.cwd === null ? base : path.resolve(base, definition.trainer.run.cwd);
  return { ...definition, trainer: { ...definition.trainer, run: { ...definition.trainer.run, cwd } } };
}

const PRESETS = { 'predictive-maintenance': () => schemaOf(syntheticSchema('preset')) } as const;

function schemaOf(s: ReturnType<typeof syntheticSchema>): DatasetDefinition {
  return { entityKey: s.entityKey, timestamp: s.timestamp, features: s.features, label: s.label };
}

export function parseDatasets(raw: unknown, at: At): DatasetInput[] {
  return eachMap(raw, at, (d, at) => {
    checkKeys(d, at, ['id', 'tenants', 'schema', 'generate']);
    const id = toId(required(d, 'id', at, 'readings'), child(at, 'id'), 'readings');
    const given = required(d, 'schema', at, 'predictive-maintenance');
    let schema: DatasetDefinition;
    if (typeof given === 'string') {
      const preset = PRESETS[given as keyof typeof PRESETS];
      if (!preset) throw invalidField(child(at, 'schema'), `"${given}" is not a preset; use "predictive-maintenance" or a map {entityKey, timestamp, features, label}`);
      schema = preset();
    } else {
      try {
        schema = schemaOf(checkDatasetDefinition('preset', id, given));
      } catch (error) {
        if (isNsError(error)) asConfig(new NsError(error.code, `${child(at, 'schema').path}.${error.message}`, { field: `${child(at, 'schema').path}.${error.field ?? ''}` }), at);
        throw error;
      }
    }
    return {
      at,
      id,
      tenants: d.tenants === undefined ? null : toStringList(d.tenants, child(at, 'tenants'), 'acme').map((t, i) => toId(t, child(child(at, 'tenants'), i), 'acme')),
      schema,
      generate: d.generate === undefined ? null : parseGenerator(d.generate, child(at, 'generate'), given),
    };
  });
}

function parseGenerator(raw: unknown, at: At, schema: unknown): DatasetGenerator {
  if (schema !== 'predictive-maintenance') throw invalidField(at, 'generated data needs schema: predictive-maintenance');
  if (!isPlainObject(raw)) throw invalidField(at, 'must be a map; example { days: 30, machines: 20, seed: 1 }');
  checkKeys(raw, at, ['days', 'machines', 'seed', 'intervalMinutes']);
  const int = (key: string, min: number, max: number, fallback: number) =>
    raw[key] === undefined ? fallback : toInteger(raw[key], child(at, key), { min, max }, String(fallback));
  return { kind: 'predictive-maintenance', days: int('days', 1, 3660, 30), machines: int('machines', 1, 10_000, 20), seed: int('seed', 0, 2 ** 31 - 1, 1), intervalMinutes: int('intervalMinutes', 1, 1440, 60) };
}
