/**
 * Importing an ONNX model (a LightGBM model converted elsewhere, or one of our own exports) as a
 * version of a declared model is a run of the model's train job: the uploaded bytes are stored
 * with the run, and the training pipeline (src/training/trainer-onnx-import.ts) wraps them with the
 * fitted feature spec, scores them with the champion on the model's holdout, gates, registers and
 * promotes only when asked. It has history, a lease, retries and cancel, and never runs on the
 * API's event loop. This module turns a request into the run's params and an ended run into the
 * import's answer.
 */
import { Buffer } from 'node:buffer';
import { NsError } from '../errors.ts';
import type { ModelRegistry, ModelVersion } from '../registry/index.ts';
import type { RunView } from '../services/run-service.ts';
import type { TrainingResult } from '../training/result-file.ts';
import type { ImportParams } from '../training/run-overrides.ts';

/** `registered`: not asked to promote; `rejected`: the gate failed; `champion_changed`: it passed, but the champion moved meanwhile. */
export type ImportOutcome = 'promoted' | 'registered' | 'rejected' | 'champion_changed';

export interface ImportOnnxOptions {
  /** Binary decision threshold stored with the model (serving defaults to 0.5). */
  threshold?: number;
  /** The ONNX output to read (default: discovered, see OnnxModel). */
  outputName?: string;
  /** Make it the champion when the gate passes (conditionally on the champion it was compared with). */
  promote?: boolean;
  /** Recorded in the champion history ('api', 'cli', …). */
  actor?: string | null;
}

/** The import's run and, once it has ended, its version and outcome. */
export interface ImportOnnxResult {
  run: RunView;
  version: ModelVersion | null;
  promoted: boolean;
  outcome: ImportOutcome | null;
  message: string;
}

const invalid = (field: string, message: string) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The .onnx bytes from base64 text (line breaks allowed); NS_VALIDATION naming `field` otherwise. */
export function decodeOnnxBase64(text: unknown, field = 'onnx'): Uint8Array {
  if (typeof text !== 'string') throw invalid(field, 'must be the .onnx file as a base64 string');
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) throw invalid(field, 'must be the .onnx file as a non-empty base64 string');
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** The run's params: what the pipeline reads back (training-run.ts). */
export function importParams(o: ImportOnnxOptions): ImportParams {
  return {
    promote: o.promote === true,
    actor: o.actor ?? 'import',
    ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
    ...(o.outputName !== undefined ? { outputName: o.outputName } : {}),
  };
}

/**
 * The import's answer from its run: the version and outcome once it succeeded; the run's own error
 * (its code and field: a file that does not fit is NS_VALIDATION on `onnx`) once it failed; nothing
 * yet while it is queued or running.
 */
export async function importOutcome(run: RunView, registry: ModelRegistry, modelName: string): Promise<ImportOnnxResult> {
  if (run.status === 'queued' || run.status === 'running') {
    return { run, version: null, promoted: false, outcome: null, message: `import run ${run.id} is ${run.status}; follow it at GET /api/runs/${run.id}` };
  }
  if (run.status !== 'succeeded' || !run.result) {
    const context = run.error_context ? (JSON.parse(run.error_context) as { field?: string }) : {};
    const code = run.error_code && run.error_code !== 'NS_JOB_FAILED' ? run.error_code : 'NS_JOB_FAILED';
    throw new NsError(code as 'NS_JOB_FAILED', run.error_message ?? `import run ${run.id} ended ${run.status}`, { ...(context.field ? { field: context.field } : {}), details: { runId: run.id, status: run.status } });
  }
  const result = JSON.parse(run.result) as TrainingResult;
  const version = result.version ? await registry.getVersion(run.tenant_id, modelName, result.version.version) : null;
  const outcome = result.outcome === 'no_data' || result.outcome === 'no_training_needed' ? null : result.outcome;
  if (!version || outcome === null) throw new NsError('NS_CONFLICT', result.message, { field: 'dataset', details: { runId: run.id } });
  return { run, version, promoted: outcome === 'promoted', outcome, message: result.message };
}
