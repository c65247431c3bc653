/**
 * The typed result a training process leaves for the service: written atomically as JSON (by
 * result-file-write.ts, which the training process loads without this module), read back
 * and checked against its schema. What nightshift records for the run (outcome, version, metrics,
 * gate) comes from here, never from the process's output text.
 */
import { readFile, rm } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import { Type, type Static } from 'typebox';
import { NsError } from '../errors.ts';
import { STAGES } from './stages.ts';

export const TRAINING_OUTCOMES = ['promoted', 'rejected', 'registered', 'no_data', 'champion_changed', 'no_training_needed'] as const;
export type TrainingOutcome = (typeof TRAINING_OUTCOMES)[number];

const Counts = Type.Record(Type.String(), Type.Number());

export const TrainingResultSchema = Type.Object(
  {
    format: Type.Literal('nightshift-training-result'),
    formatVersion: Type.Literal(1),
    runId: Type.String({ minLength: 1 }),
    attempt: Type.Integer({ minimum: 1 }),
    outcome: Type.Enum([...TRAINING_OUTCOMES]),
    trainer: Type.String({ minLength: 1 }),
    mode: Type.Enum(['full', 'incremental']),
    /** The version this run registered (by this attempt or, when `resumed`, an earlier one). */
    version: Type.Union([Type.Object({ version: Type.Integer({ minimum: 1 }), name: Type.String() }), Type.Null()]),
    championBefore: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    resumed: Type.Boolean(),
    gate: Type.Union([Type.Object({ passed: Type.Boolean(), summary: Type.String() }), Type.Null()]),
    metrics: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()])),
    /** The retrain decision (src/policy/assess.ts), when the run was assessed. */
    assessment: Type.Optional(Type.Object({ train: Type.Boolean(), reason: Type.String() }, { additionalProperties: true })),
    stages: Type.Array(
      Type.Object({
        stage: Type.Enum([...STAGES]),
        startedAt: Type.Number(),
        endedAt: Type.Number(),
        durationMs: Type.Number({ minimum: 0 }),
        counts: Counts,
        note: Type.Optional(Type.String()),
      }),
    ),
    message: Type.String(),
  },
  { additionalProperties: false },
);

export type TrainingResult = Static<typeof TrainingResultSchema>;

/** What a training that failed leaves instead: its error's code, message and field, as the run records them. */
export const TrainingFailureSchema = Type.Object(
  {
    format: Type.Literal('nightshift-training-failure'),
    formatVersion: Type.Literal(1),
    code: Type.String({ pattern: '^NS_[A-Z_]+$' }),
    message: Type.String(),
    field: Type.Optional(Type.String()),
    retryable: Type.Boolean(),
  },
  { additionalProperties: false },
);

export type TrainingFailure = Static<typeof TrainingFailureSchema>;

/**
 * Compiled on first read, not at import: compiling costs most of a second of CPU, and every CLI
 * command and training process imports this module while only the service reads result files.
 */
let checkers: { result: ValidateFunction; failure: ValidateFunction } | null = null;
function checker(which: 'result' | 'failure'): ValidateFunction {
  if (!checkers) {
    const ajv = new Ajv({ allErrors: false, strict: false });
    checkers = { result: ajv.compile(TrainingResultSchema as object), failure: ajv.compile(TrainingFailureSchema as object) };
  }
  return checkers[which];
}


/** The failure a training process left, or null (none, or not in its format: the exit status speaks then). */
export async function readFailureFile(file: string): Promise<TrainingFailure | null> {
  try {
    const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
    return checker('failure')(raw) ? (raw as TrainingFailure) : null;
  } catch {
    return null;
  }
}

/** The result, schema-checked; NS_JOB_FAILED naming the problem when it is missing or malformed. */
export async function readResultFile(file: string): Promise<TrainingResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new NsError('NS_JOB_FAILED', `the training process exited 0 but left no result file (${file}: ${(cause as Error).message})`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new NsError('NS_JOB_FAILED', `the training result file ${file} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const check = checker('result');
  if (!check(raw)) {
    const e = check.errors?.[0];
    throw new NsError('NS_JOB_FAILED', `the training result file ${file} does not match its schema: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}`);
  }
  return raw as TrainingResult;
}

export async function removeResultFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** The run's metrics: the candidate's holdout metrics that are numbers, and the version it registered. */
export function runMetrics(result: TrainingResult): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(result.metrics)) if (v !== null && Number.isFinite(v)) metrics[k] = v;
  if (result.version) metrics.version = result.version.version;
  return metrics;
}
