/**
 * One training run as a library call: takes a claimed run of a model's train job and returns its
 * typed result. A process may call it for many runs one after the other (today the service starts
 * one process per run: train-main.ts).
 *
 * Every write it makes for the run (stage rows, the version, the promotion) checks in its own
 * transaction that the run is still held under the same lease owner and attempt: a process whose
 * lease was lost registers nothing. A retried attempt of a run whose version an earlier attempt
 * registered finishes with that version (promoting it if that is still due) instead of training
 * again: a run registers at most one version and promotes at most once.
 */
import { isNsError, NsError } from '../errors.ts';
import { requireDataset } from '../data/ingest/dataset-service.ts';
import type { ModelRegistry, ModelVersion } from '../registry/index.ts';
import { datasetSchemaOf } from '../store/datasets.ts';
import { inTransaction, type Db, type Executor } from '../store/db.ts';
import { insertAssessment } from '../store/assessments.ts';
import { newId } from '../ids.ts';
import type { Assessment } from '../policy/assess.ts';
import { assessModel } from '../policy/assessor.ts';
import { getJob } from '../store/jobs.ts';
import { getModelDefinition } from '../store/model-definitions.ts';
import { insertRunStage } from '../store/run-stages.ts';
import { getRunInput } from '../store/run-inputs.ts';
import { assertLeaseHeld, type LeaseRef } from '../store/run-lease.ts';
import { getRunRow, type RunRow } from '../store/runs.ts';
import type { TrainProgress } from '../trainers/types.ts';
import { summarizeGate, type GateCheck } from './gate.ts';
import { promoteVersion, runPipeline, type DefinitionWithSchema, type PipelineResult } from './pipeline.ts';
import type { TrainingResult } from './result-file.ts';
import { IMPORT_INPUT, trainRunParams, type ImportParams } from './run-overrides.ts';
import { StageRecorder, type StageReport } from './stages.ts';
import type { Trainer, TrainerContext } from './trainer.ts';
import { trainerFor } from './trainers.ts';

export interface TrainingRunDeps {
  db: Db;
  registry: ModelRegistry;
  now: () => number;
  /** ML_TRAINING_MODE, for models that set no mode. */
  defaultMode: 'full' | 'incremental';
  /** Where trainers that work with files make their directories. */
  workDir: string;
  killGraceMs: number;
  niceness: number;
}

/** The run to execute, as its worker claimed it. */
export interface TrainingRunRef extends LeaseRef {
  /** Its share of the node's training threads. */
  threads: number;
}

/** How the run was started, as the version and the champion history record it. */
const TRIGGERS: Record<string, string> = { slot: 'schedule', manual: 'manual', dependency: 'dependency', startup: 'startup' };

export async function executeTrainingRun(
  deps: TrainingRunDeps,
  ref: TrainingRunRef,
  options: { signal?: AbortSignal; onProgress?: (p: TrainProgress) => void; onStage?: (r: StageReport) => void } = {},
): Promise<TrainingResult> {
  const { db, registry } = deps;
  const run = await getRunRow(db.k, ref.tenantId, ref.runId);
  if (!run) throw new NsError('NS_NOT_FOUND', `run "${ref.runId}" of tenant "${ref.tenantId}" does not exist`, { field: 'runId' });
  const job = await getJob(db.k, run.job_id);
  if (job?.kind !== 'train') throw new NsError('NS_VALIDATION', `run "${run.id}" is a run of job "${run.job_id}", which is not a model's train job`, { field: 'jobId' });
  const declared = await getModelDefinition(db.k, ref.tenantId, job.model);
  if (!declared) {
    throw new NsError('NS_NOT_FOUND', `model "${job.model}" is not declared for tenant "${ref.tenantId}"; declare it in the config file's models: or with PUT /api/tenants/${ref.tenantId}/models/${job.model}`, { field: 'model' });
  }
  const def = declared.definition;
  const model: DefinitionWithSchema = { definition: def, schema: datasetSchemaOf(await requireDataset(db.k, ref.tenantId, def.dataset)) };
  const params = trainRunParams(run.params);
  const fence = (tx: Parameters<typeof assertLeaseHeld>[0]) => assertLeaseHeld(tx, db.dialect, ref);
  let seq = 0;
  const stages = new StageRecorder(deps.now, async (r) => {
    await inTransaction(db, async (tx) => {
      await fence(tx);
      await insertRunStage(tx, { run_id: ref.runId, attempt: ref.attempt, seq: seq++, tenant_id: ref.tenantId, stage: r.stage, started_at: r.startedAt, ended_at: r.endedAt, duration_ms: r.durationMs, counts: JSON.stringify(r.counts), note: r.note ?? null });
    });
    options.onStage?.(r);
  });
  const trigger = params.import ? 'import' : (TRIGGERS[run.trigger] ?? run.trigger);
  const actor = params.import?.actor ?? params.requestedBy ?? trigger;
  const trainer = await trainerOf(db, run, def, params.import);
  const common = { registry, tenantId: ref.tenantId, definition: model, actor, runId: ref.runId, fence, stages, ...(params.import ? { promoteNote: 'imported ONNX model' } : {}) };

  const earlier = await registry.versionOfRun(ref.tenantId, ref.runId);
  const result = earlier
    ? await resume(common, earlier, params.import === null || params.import.promote)
    : await runPipeline({
        ...common,
        x: db.k,
        trainer,
        mode: params.overrides.mode ?? def.mode ?? deps.defaultMode,
        dataRangeDays: params.overrides.dataRangeDays ?? def.dataRangeDays,
        promote: params.import === null || params.import.promote,
        // A manual trigger (or `force`) trains whatever the rules say; the decision is still recorded. An import is not assessed.
        decide: params.import ? null : () => decideAndRecord(db, registry, deps.now, model, ref, fence, params.overrides.force ?? run.trigger === 'manual'),
        trigger,
        ctx: trainerContext(deps, ref, def.seed, options),
        now: deps.now,
      });
  return {
    format: 'nightshift-training-result',
    formatVersion: 1,
    runId: ref.runId,
    attempt: ref.attempt,
    outcome: result.outcome,
    trainer: earlier?.trainer ?? trainer.name,
    mode: result.mode,
    version: result.version ? { version: result.version.version, name: result.version.name } : null,
    championBefore: result.championBefore,
    resumed: earlier !== null,
    gate: result.gate ? { passed: result.gate.passed, summary: result.gate.summary } : null,
    metrics: result.metrics,
    stages: stages.reports,
    message: result.message,
    ...(result.assessment ? { assessment: result.assessment as unknown as TrainingResult['assessment'] } : {}),
  };
}

/** Assesses the model and stores the assessment with the run, under its lease. */
async function decideAndRecord(db: Db, registry: ModelRegistry, now: () => number, model: DefinitionWithSchema, ref: LeaseRef, fence: (tx: Executor) => Promise<void>, force: boolean): Promise<Assessment> {
  const assessment = await assessModel({ x: db.k, registry, now }, { tenantId: ref.tenantId, definition: model.definition, force });
  await inTransaction(db, async (tx) => {
    await fence(tx);
    await insertAssessment(tx, {
      id: newId('asm', now()),
      tenant_id: ref.tenantId,
      model_name: model.definition.name,
      run_id: ref.runId,
      at: now(),
      train: assessment.train ? 1 : 0,
      reason: assessment.reason,
      assessment: JSON.stringify(assessment),
    });
  });
  return assessment;
}

async function trainerOf(db: Db, run: RunRow, def: DefinitionWithSchema['definition'], request: ImportParams | null): Promise<Trainer> {
  if (!request) return trainerFor(def);
  const bytes = await getRunInput(db.k, run.tenant_id, run.id, IMPORT_INPUT);
  if (!bytes) throw new NsError('NS_NOT_FOUND', `import run "${run.id}" has no ONNX model stored with it; import the file again`, { field: 'onnx' });
  return trainerFor(def, { bytes: new Uint8Array(bytes), promote: request.promote, ...(request.threshold !== undefined ? { threshold: request.threshold } : {}), ...(request.outputName !== undefined ? { outputName: request.outputName } : {}) });
}

function trainerContext(deps: TrainingRunDeps, ref: TrainingRunRef, seed: number, o: { signal?: AbortSignal; onProgress?: (p: TrainProgress) => void }): TrainerContext {
  return {
    seed,
    threads: ref.threads,
    now: deps.now,
    workDir: deps.workDir,
    killGraceMs: deps.killGraceMs,
    niceness: deps.niceness,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  };
}

/**
 * An earlier attempt of this run registered `version` (then its node died, or its end could not be
 * recorded): finish with it. Promote it only if the gate passed, promotion was asked for, it has not
 * been promoted by this run yet, and the champion is still the one it was scored against.
 */
async function resume(common: Parameters<typeof promoteVersion>[0], version: ModelVersion, promote: boolean): Promise<PipelineResult> {
  const { registry, tenantId } = common;
  const name = common.definition.definition.name;
  const reasons = version.gate.reasons as GateCheck[];
  const gate = { passed: version.gate.passed, reasons, summary: summarizeGate(reasons, version.comparedTo) };
  const base = { mode: version.mode, version, gate, championBefore: version.comparedTo, metrics: version.metrics };
  await common.stages.run('register', async () => ({ value: null, counts: { version: version.version, resumed: 1 }, note: `${version.name} was registered by an earlier attempt of this run` }));
  const keeps = `champion ${version.comparedTo === null ? '(none)' : `v${version.comparedTo}`} keeps serving`;
  if (!version.gate.passed) return { ...base, outcome: 'rejected', message: `${version.name} rejected by the gate: ${gate.summary}; ${keeps}` };
  if (await registry.promotedByRun(tenantId, name, common.runId)) return { ...base, outcome: 'promoted', message: `${version.name} promoted: ${gate.summary}` };
  if (!promote) return { ...base, outcome: 'registered', message: `${version.name} registered: ${gate.summary}; not promoted (not asked to); ${keeps}` };
  try {
    return await promoteVersion(common, version, gate, version.comparedTo, base);
  } catch (error) {
    // The champion it was compared with may have been removed meanwhile; nothing is promoted then.
    if (isNsError(error) && error.code === 'NS_NOT_FOUND') return { ...base, outcome: 'champion_changed', message: `${version.name}: ${error.message}; not promoted` };
    throw error;
  }
}
