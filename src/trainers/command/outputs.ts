/**
 * What a trainer leaves behind on exit 0: the model file and metrics.json. Both must exist; the
 * metrics must be a flat JSON object of finite numbers. Problems become NS_JOB_FAILED errors that
 * say which file and what is wrong (a trainer bug, so never retried).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { NsError } from '../../errors.ts';

/** Metrics files larger than this are refused (they are meant to hold a handful of numbers). */
export const MAX_METRICS_BYTES = 1024 * 1024;
const MAX_METRICS = 1000;
const MAX_NAME_LENGTH = 200;

export interface ModelFileInfo {
  size: number;
  sha256: string;
}

/** Size and SHA-256 of the model file; NS_JOB_FAILED when it is missing, not a file, or empty. */
export async function inspectModelFile(file: string): Promise<ModelFileInfo> {
  const info = await stat(file).catch(() => null);
  if (info === null) throw outputError('model', `trainer exited 0 but did not write its model file ${file}`, { path: file });
  if (!info.isFile()) throw outputError('model', `model path ${file} is not a regular file`, { path: file });
  if (info.size === 0) throw outputError('model', `trainer wrote an empty model file ${file}`, { path: file });
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { size: info.size, sha256: hash.digest('hex') };
}

/** Reads and validates metrics.json. */
export async function readMetricsFile(file: string): Promise<Record<string, number>> {
  const info = await stat(file).catch(() => null);
  if (info === null || !info.isFile()) throw outputError('metrics', `trainer exited 0 but did not write ${file}`, { path: file });
  if (info.size > MAX_METRICS_BYTES) throw outputError('metrics', `${file} is ${info.size} bytes; the limit is ${MAX_METRICS_BYTES}`, { path: file });
  return parseMetrics(await readFile(file, 'utf8'), file);
}

/** A flat object of finite numbers, names non-empty and at most 200 characters. */
export function parseMetrics(text: string, file = 'metrics.json'): Record<string, number> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const hint = /\b(NaN|-?Infinity)\b/.test(text) ? ' (NaN and Infinity are not JSON numbers: leave such a metric out)' : '';
    throw outputError('metrics', `${file} is not valid JSON: ${(error as Error).message}${hint}`, { path: file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw outputError('metrics', `${file} must hold a JSON object of name → number`, { path: file });
  const entries = Object.entries(raw);
  if (entries.length > MAX_METRICS) throw outputError('metrics', `${file} has ${entries.length} metrics; the limit is ${MAX_METRICS}`, { path: file });
  const metrics: Record<string, number> = {};
  for (const [name, value] of entries) {
    if (name === '' || name.length > MAX_NAME_LENGTH || name === '__proto__') throw outputError('metrics', `${file}: invalid metric name ${JSON.stringify(name)}`, { path: file, metric: name });
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw outputError('metrics', `${file}: metric "${name}" must be a finite number, got ${JSON.stringify(value)}`, { path: file, metric: name });
    }
    metrics[name] = value;
  }
  return metrics;
}

function outputError(field: 'model' | 'metrics', message: string, details: Record<string, unknown>): NsError {
  return new NsError('NS_JOB_FAILED', message, { field, details });
}
