/**
 * Importing an ONNX model (a LightGBM model converted elsewhere, or one of our own exports) as a
 * version of a declared model, evaluated and gated like a training:
 *
 *   declaration → window → features (fitted spec) → wrap (onnxArtifact) → holdout → score
 *   candidate and champion → gate → register (trainer 'onnx', trigger 'import') → promote?
 *
 * The declaration's task and feature spec apply; the spec is fitted on the window exactly as a
 * training fits it (a declaration that pins its vocabulary keeps it), and the fitted spec is what
 * the artifact stores, so the model is served from raw rows like a trained one. The ONNX model's
 * categorical inputs must therefore use those codes: pin `features.vocabulary` in the declaration
 * when the model was fitted on other data. The version is promoted only when asked and the gate
 * passed, conditionally on the champion it was compared against.
 *
 * Runs in the calling process: building the features of the window is CPU work on the event loop
 * (about as long as a training's `features` stage), and the ONNX scoring runs in onnxruntime.
 */
import { Buffer } from 'node:buffer';
import { buildTrainingSet, requiredHistorySeconds, type BuiltTrainingSet } from '../data/features/index.ts';
import { requireDataset } from '../data/ingest/dataset-service.ts';
import type { Clock } from '../clock.ts';
import type { AliasUpdate, ModelRegistry, PromoteOptions } from '../registry/index.ts';
import type { Db } from '../store/db.ts';
import type { StoredModel } from '../store/model-definitions.ts';
import { isNsError, NsError } from '../errors.ts';
import type { ModelVersion } from '../registry/index.ts';
import { onnxArtifact } from '../serving/index.ts';
import { datasetSchemaOf } from '../store/datasets.ts';
import { timeHoldout } from '../trainers/holdout.ts';
import { championMatrix, holdoutMetrics, rowsSince } from '../training/holdout-scoring.ts';
import type { ModelArtifact } from '../trainers/types.ts';
import { loadArtifactModel, type ArtifactModel } from '../training/artifact-model.ts';
import { applyGate, type GateResult } from '../training/gate.ts';
import type { ModelDefinition } from '../training/model-definition.ts';
import { modelSource } from '../training/model-source.ts';
import { MIN_ROWS } from '../training/train-model.ts';

const DAY_MS = 86_400_000;

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

/** `registered`: not asked to promote; `rejected`: the gate failed; `champion_changed`: it passed, but the champion moved meanwhile. */
export type ImportOutcome = 'promoted' | 'registered' | 'rejected' | 'champion_changed';

export interface ImportOnnxResult {
  version: ModelVersion;
  promoted: boolean;
  outcome: ImportOutcome;
  gate: GateResult;
  championBefore: number | null;
  message: string;
}

const invalid = (field: string, message: string, cause?: unknown) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field, ...(cause === undefined ? {} : { cause }) });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The .onnx bytes from base64 text (line breaks allowed); NS_VALIDATION naming `field` otherwise. */
export function decodeOnnxBase64(text: unknown, field = 'onnx'): Uint8Array {
  if (typeof text !== 'string') throw invalid(field, 'must be the .onnx file as a base64 string');
  const compact = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) throw invalid(field, 'must be the .onnx file as a non-empty base64 string');
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** What an import reads and writes: the store, the registry, the model's declaration and a promotion that refreshes serving. */
export interface ImportDeps {
  db: Db;
  clock: Clock;
  registry: ModelRegistry;
  model(tenantId: string, name: string): Promise<StoredModel>;
  promote(tenantId: string, name: string, version: number, o: Omit<PromoteOptions, 'reason'> & { reason?: string }): Promise<AliasUpdate>;
}

export async function importOnnx(deps: ImportDeps, tenantId: string, name: string, bytes: Uint8Array, options: ImportOnnxOptions = {}): Promise<ImportOnnxResult> {
  const { db, clock, registry } = deps;
  const { definition: def } = await deps.model(tenantId, name);
  const schema = datasetSchemaOf(await requireDataset(db.k, tenantId, def.dataset));

  // The window a full training would read, with the history its lag and rolling features need.
  const until = clock.now();
  const since = until - def.dataRangeDays * DAY_MS;
  const historyMs = requiredHistorySeconds(def.features) * 1000;
  const samples = await modelSource(db.k, def, schema).load(tenantId, { since: Math.max(0, since - historyMs), until });
  const built = buildTrainingSet(samples, def.features, schema);

  // The file is checked before the row count: a wrong file is reported whatever the store holds.
  const artifact = await wrap(bytes, def, built, options, () => clock.now());
  const fresh = rowsSince(built, since);
  if (fresh.X.rows < MIN_ROWS) {
    throw new NsError(
      'NS_CONFLICT',
      `model "${name}" of tenant "${tenantId}" has ${fresh.X.rows} labeled row(s) in its window (last ${def.dataRangeDays} days of dataset "${def.dataset}"); at least ${MIN_ROWS} are needed to evaluate an imported model; ingest samples first`,
      { field: 'dataset', details: { tenantId, model: name, dataset: def.dataset, rows: fresh.X.rows } },
    );
  }
  const { valid } = timeHoldout(fresh, def.holdoutFraction);
  const artifactBytes = Buffer.from(JSON.stringify(artifact));

  const championVersion = await registry.champion(tenantId, name);
  const candidate = await loadArtifactModel(artifactBytes, 'imported ONNX model');
  let champion: ArtifactModel | null = null;
  let mine: Record<string, number | null>;
  let theirs: Record<string, number | null> | null = null;
  try {
    mine = holdoutMetrics(def, valid.y, await candidate.predict(valid.X), candidate.threshold, (m) => invalid('onnx', m));
    if (championVersion) {
      const loaded = await registry.loadArtifact(tenantId, name, championVersion.version);
      champion = await loadArtifactModel(loaded.bytes, `champion ${championVersion.name}`);
      const X = championMatrix(champion, built, samples, schema, valid, fresh);
      theirs = holdoutMetrics(def, valid.y, await champion.predict(X), champion.threshold, (m) => new NsError('NS_STORE', `champion: ${m}`));
    }
  } finally {
    await candidate.close();
    await champion?.close();
  }

  const gate = applyGate(def.gate, mine, championVersion && theirs ? { version: championVersion.version, metrics: theirs } : null);
  const version = await registry.registerVersion(
    {
      tenantId,
      modelName: name,
      trainer: 'onnx',
      params: { ...artifact.params, ...(options.outputName !== undefined ? { outputName: options.outputName } : {}) },
      mode: 'full',
      parentVersion: null,
      // Not trained here: no training window (an incremental training after it starts from scratch).
      dataWindow: null,
      samples: { train: 0, holdout: valid.X.rows },
      metrics: mine,
      gate: { passed: gate.passed, reasons: gate.reasons },
      trainingMs: 0,
      trigger: 'import',
      runId: null,
    },
    artifactBytes,
  );

  const championBefore = championVersion?.version ?? null;
  const base = { version, gate, championBefore };
  const result = await decide(deps, tenantId, name, base, options);
  await registry.applyRetention(tenantId, name);
  return result;
}

async function decide(
  deps: ImportDeps,
  tenantId: string,
  name: string,
  base: Pick<ImportOnnxResult, 'version' | 'gate' | 'championBefore'>,
  options: ImportOnnxOptions,
): Promise<ImportOnnxResult> {
  const { version, gate, championBefore } = base;
  const keeps = `champion ${championBefore === null ? '(none)' : `v${championBefore}`} keeps serving`;
  if (!gate.passed) {
    return { ...base, promoted: false, outcome: 'rejected', message: `${version.name} rejected by the gate: ${gate.summary}; ${keeps}` };
  }
  if (!options.promote) {
    return { ...base, promoted: false, outcome: 'registered', message: `${version.name} registered: ${gate.summary}; not promoted (not asked to); ${keeps}` };
  }
  try {
    await deps.promote(tenantId, name, version.version, {
      reason: `imported ONNX model; gate passed: ${gate.summary}`,
      actor: options.actor ?? 'import',
      expectedCurrent: championBefore,
    });
  } catch (error) {
    // A training or a rollback changed the champion after the comparison.
    if (isNsError(error) && error.code === 'NS_CONFLICT') {
      const message = `${version.name} passed the gate against ${championBefore === null ? 'no champion' : `v${championBefore}`}, but the champion changed meanwhile; not promoted`;
      return { ...base, promoted: false, outcome: 'champion_changed', message };
    }
    throw error;
  }
  const promoted = (await deps.registry.getVersion(tenantId, name, version.version)) ?? version;
  return { ...base, version: promoted, promoted: true, outcome: 'promoted', message: `${version.name} promoted: ${gate.summary}` };
}

/** onnxArtifact with the declaration's task and the fitted spec; a width mismatch names the file (`onnx`), which is what the caller can change. */
async function wrap(bytes: Uint8Array, def: ModelDefinition, built: BuiltTrainingSet, options: ImportOnnxOptions, now: () => number): Promise<ModelArtifact> {
  try {
    return await onnxArtifact(bytes, {
      task: def.task,
      featureSpec: built.spec,
      now,
      ...(options.outputName !== undefined ? { outputName: options.outputName } : {}),
      ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    });
  } catch (error) {
    if (isNsError(error) && error.field === 'featureSpec') {
      const detail = error.message.replace(/^featureSpec: /, '');
      throw invalid('onnx', `does not fit model "${def.name}": its declared features ${detail}`, error);
    }
    throw error;
  }
}


