/** Checks what a caller registers and maps versions between their row and their public shape. */
import { ID_RULE } from '../config/values.ts';
import { NsError } from '../errors.ts';
import type { ModelVersionRow } from '../store/model-versions.ts';
import { TRAINING_MODES, type ModelVersion, type NewModelVersion, type TrainingMode } from './types.ts';

const ID_RE = new RegExp(ID_RULE);

const invalid = (field: string, message: string) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

export const versionName = (tenantId: string, modelName: string, version: number) => `${modelName}_${tenantId}_v${version}`;

export const describeVersion = (tenantId: string, modelName: string, version: number) =>
  `model "${modelName}" version ${version} (${versionName(tenantId, modelName, version)})`;

export function checkIds(tenantId: string, modelName: string): void {
  if (typeof tenantId !== 'string' || !ID_RE.test(tenantId)) throw invalid('tenantId', `"${tenantId}" is not a valid tenant id (lowercase letters, digits, _ . -)`);
  if (typeof modelName !== 'string' || !ID_RE.test(modelName)) throw invalid('modelName', `"${modelName}" is not a valid model name (lowercase letters, digits, _ . -)`);
}

export function checkVersionNumber(field: string, version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw invalid(field, `${String(version)} is not a version number (an integer ≥ 1)`);
  return version;
}

const count = (field: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(field, `${String(v)} is not a count (an integer ≥ 0)`);
  return v;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkNewVersion(input: NewModelVersion): NewModelVersion {
  checkIds(input.tenantId, input.modelName);
  if (typeof input.trainer !== 'string' || input.trainer.length === 0) throw invalid('trainer', 'a trainer name is required');
  if (!isObject(input.params)) throw invalid('params', 'must be an object');
  if (!TRAINING_MODES.includes(input.mode)) throw invalid('mode', `"${String(input.mode)}" is not one of ${TRAINING_MODES.join(', ')}`);
  const parent = input.parentVersion ?? null;
  if (input.mode === 'incremental' && parent === null) throw invalid('parentVersion', 'an incremental version needs the version it continued from');
  if (input.mode === 'full' && parent !== null) throw invalid('parentVersion', 'a full training has no parent version');
  if (parent !== null) checkVersionNumber('parentVersion', parent);
  const w = input.dataWindow;
  if (w !== null) {
    if (!isObject(w) || !Number.isFinite(w.since) || !Number.isFinite(w.until) || w.since > w.until) {
      throw invalid('dataWindow', 'needs finite since ≤ until (epoch ms), or null');
    }
  }
  if (!isObject(input.samples)) throw invalid('samples', 'needs {train, holdout}');
  count('samples.train', input.samples.train);
  count('samples.holdout', input.samples.holdout);
  if (!isObject(input.metrics)) throw invalid('metrics', 'must be an object of metric → number');
  for (const [k, v] of Object.entries(input.metrics)) {
    if (v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw invalid(`metrics.${k}`, `${String(v)} is not a finite number (use null for undefined)`);
  }
  if (!isObject(input.gate) || typeof input.gate.passed !== 'boolean' || !Array.isArray(input.gate.reasons)) {
    throw invalid('gate', 'needs {passed: boolean, reasons: array}');
  }
  if (typeof input.trainingMs !== 'number' || !Number.isFinite(input.trainingMs) || input.trainingMs < 0) throw invalid('trainingMs', 'must be a duration ≥ 0');
  if (typeof input.trigger !== 'string' || input.trigger.length === 0) throw invalid('trigger', 'is required');
  return input;
}

export function versionRow(
  input: NewModelVersion,
  version: number,
  artifact: { sha256: string; size: number },
  now: number,
): ModelVersionRow {
  return {
    tenant_id: input.tenantId,
    model_name: input.modelName,
    version,
    name: versionName(input.tenantId, input.modelName, version),
    trainer: input.trainer,
    params: JSON.stringify(input.params),
    mode: input.mode,
    parent_version: input.parentVersion ?? null,
    data_since: input.dataWindow?.since ?? null,
    data_until: input.dataWindow?.until ?? null,
    train_samples: input.samples.train,
    holdout_samples: input.samples.holdout,
    metrics: JSON.stringify(input.metrics),
    gate_passed: input.gate.passed ? 1 : 0,
    gate_reasons: JSON.stringify(input.gate.reasons),
    artifact_sha256: artifact.sha256,
    artifact_size: artifact.size,
    training_ms: Math.round(input.trainingMs),
    trigger: input.trigger,
    run_id: input.runId ?? null,
    was_champion: 0,
    created_at: now,
    compared_to: input.comparedTo ?? null,
  };
}

export function modelVersionOf(row: ModelVersionRow): ModelVersion {
  const since = row.data_since === null ? null : Number(row.data_since);
  const until = row.data_until === null ? null : Number(row.data_until);
  return {
    tenantId: row.tenant_id,
    modelName: row.model_name,
    version: Number(row.version),
    name: row.name,
    trainer: row.trainer,
    params: JSON.parse(row.params) as Record<string, unknown>,
    mode: row.mode as TrainingMode,
    parentVersion: row.parent_version === null ? null : Number(row.parent_version),
    dataWindow: since === null || until === null ? null : { since, until },
    samples: { train: Number(row.train_samples), holdout: Number(row.holdout_samples) },
    metrics: JSON.parse(row.metrics) as Record<string, number | null>,
    gate: { passed: Number(row.gate_passed) === 1, reasons: JSON.parse(row.gate_reasons) as unknown[] },
    artifact: { sha256: row.artifact_sha256, size: Number(row.artifact_size) },
    trainingMs: Number(row.training_ms),
    trigger: row.trigger,
    runId: row.run_id,
    wasChampion: Number(row.was_champion) === 1,
    createdAt: Number(row.created_at),
    comparedTo: row.compared_to === null ? null : Number(row.compared_to),
  };
}
