/**
 * The one training pipeline, the same for every trainer (built-in, command, ONNX import):
 *
 *   load → features → decide → train → evaluate → gate → register → promote
 *
 * Full mode trains from scratch on the window (default the last 180 days). Incremental mode
 * continues from the champion on the samples that arrived after the champion's window, and falls
 * back to full when the trainer cannot continue from it. Either way the newest `holdoutFraction`
 * of the rows is held out; the candidate and the champion are both scored on it, and the gate
 * decides. `decide` is where the retrain decision sits (until retrain policies exist, every run
 * trains). Registration and promotion run under the caller's fence (the run's lease).
 */
import { requiredHistorySeconds, type FeatureSpec } from '../data/features/index.ts';
import type { DatasetSchema } from '../data/types.ts';
import { profileColumns, profileSamples } from '../policy/profile.ts';
import { NsError } from '../errors.ts';
import type { ModelRegistry, ModelVersion, WriteFence } from '../registry/index.ts';
import type { Executor } from '../store/db.ts';
import { timeHoldout } from '../trainers/holdout.ts';
import type { TrainingSet } from '../trainers/types.ts';
import type { Assessment } from '../policy/assess.ts';
import { artifactBytes } from './artifact-bytes.ts';
import { loadArtifactModel, type ArtifactModel } from './artifact-model.ts';
import { applyGate, type GateResult } from './gate.ts';
import { championMatrix, holdoutMetrics, rowsSince } from './holdout-scoring.ts';
import type { ModelDefinition } from './model-definition.ts';
import { modelSource } from './model-source.ts';
import type { TrainingOutcome } from './result-file.ts';
import type { StageRecorder } from './stages.ts';
import type { Candidate, Trainer, TrainerContext } from './trainer.ts';
import { buildWindowSet, loadTrainingWindow, windowSamples, type TrainingWindow } from './training-window.ts';

const DAY_MS = 86_400_000;
/** Rows of the training window a version's drift profile is made of (evenly spaced), at most. */
export const PROFILE_ROWS = 50_000;
/** Fewer labeled rows than this cannot give a trustworthy holdout: the training ends as no_data. */
export const MIN_ROWS = 20;

export interface PipelineInput {
  /** Reads the data window (the store's samples, or the model's SQL or CSV source). */
  x: Executor;
  registry: ModelRegistry;
  tenantId: string;
  definition: DefinitionWithSchema;
  trainer: Trainer;
  /** Requested mode: the run's override, else the model's, else ML_TRAINING_MODE. */
  mode: 'full' | 'incremental';
  dataRangeDays: number;
  /** Promote a candidate that passed the gate (an import may only register). */
  promote: boolean;
  /** Recorded on the version and in the champion history: schedule, manual, import, … */
  trigger: string;
  actor: string;
  runId: string;
  /** Runs inside every registry write (the run's lease check). */
  fence: WriteFence;
  /** Opens the champion history's reason for a promotion ("imported ONNX model"). */
  promoteNote?: string;
  /** The retrain decision; null: the run is not assessed (an import). */
  decide: (() => Promise<Assessment>) | null;
  stages: StageRecorder;
  ctx: TrainerContext;
  now: () => number;
}

export interface DefinitionWithSchema {
  definition: ModelDefinition;
  schema: DatasetSchema;
}

export interface PipelineResult {
  outcome: TrainingOutcome;
  mode: 'full' | 'incremental';
  version: ModelVersion | null;
  gate: GateResult | null;
  championBefore: number | null;
  metrics: Record<string, number | null>;
  message: string;
  assessment?: Assessment;
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const { stages } = input;
  const assessment = input.decide ? await stages.run('decide', async () => {
    const a = await input.decide!();
    return { value: a, counts: { train: a.train ? 1 : 0, rules: a.rules.length, retrain: a.rules.filter((r) => r.verdict === 'retrain').length }, note: a.summary };
  }) : undefined;
  if (assessment && !assessment.train) {
    const championBefore = assessment.champion?.version ?? null;
    return { outcome: 'no_training_needed', mode: input.mode, version: null, gate: null, championBefore, metrics: {}, message: assessment.summary, assessment };
  }
  const withAssessment = <R extends PipelineResult>(r: R): R => (assessment ? { ...r, assessment } : r);
  return withAssessment(await trainAndRegister(input));
}

async function trainAndRegister(input: PipelineInput): Promise<PipelineResult> {
  const { registry, tenantId, trainer, stages, ctx } = input;
  const { definition: def, schema } = input.definition;
  const championVersion = await registry.champion(tenantId, def.name);
  const champion = championVersion ? await loadChampion(registry, championVersion) : null;
  const championBefore = championVersion?.version ?? null;
  try {
    const canContinue = champion !== null && trainer.canContinue(champion, championVersion!.trainer, def);
    const mode: 'full' | 'incremental' = input.mode === 'incremental' && canContinue ? 'incremental' : 'full';
    const until = input.now();
    const fullSince = until - input.dataRangeDays * DAY_MS;
    const newSince = mode === 'incremental' ? Math.max(fullSince, championVersion!.dataWindow?.until ?? fullSince) : fullSince;
    // Lag and rolling features of the first new rows read the history before them.
    const spec = mode === 'incremental' ? champion!.featureSpec : def.features;
    const historyMs = requiredHistorySeconds(spec) * 1000;
    ctx.signal?.throwIfAborted();

    const window = await stages.run('load', async () => {
      const source = modelSource(input.x, def, schema);
      const w = await loadTrainingWindow(source, tenantId, { since: Math.max(0, newSince - historyMs), until }, { threads: ctx.threads, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      return { value: w, counts: { samples: windowSamples(w), windowDays: input.dataRangeDays } };
    });

    // One transform for training and serving; an incremental run keeps the champion's vocabulary.
    const { set, fresh } = await stages.run('features', async () => {
      const built = buildWindowSet(window, spec, schema);
      const rows = rowsSince(built, newSince);
      return { value: { set: built, fresh: rows }, counts: { labeled: built.X.rows, unlabeled: built.unlabeled, rows: rows.X.rows, features: built.features.length } };
    });
    if (fresh.X.rows < MIN_ROWS) {
      const where = mode === 'incremental' ? 'since the champion was trained' : `last ${input.dataRangeDays} days of dataset "${def.dataset}"`;
      const message = `model "${def.name}" of tenant "${tenantId}" has ${fresh.X.rows} labeled row(s) in its window (${where}); at least ${MIN_ROWS} are needed${trainer.usesTrainingRows ? '' : ' to evaluate an imported model; ingest samples first'}`;
      return { outcome: 'no_data', mode, version: null, gate: null, championBefore, metrics: {}, message };
    }

    const { train, valid } = timeHoldout(fresh, def.holdoutFraction);
    const trainRows = trainer.usesTrainingRows ? train : emptyOf(train);
    const t0 = input.now();
    const candidate = await stages.run('train', async () => {
      const c = await trainer.train({ tenantId, definition: def, mode, spec: set.spec, train: trainRows, valid, init: mode === 'incremental' ? champion : null, ctx });
      return { value: c, counts: { trainRows: trainRows.X.rows, ...c.counts } };
    });
    const trainingMs = input.now() - t0;
    try {
      const scored = await stages.run('evaluate', async () => {
        const mine = holdoutMetrics(def, valid.y, await candidate.predict(valid.X, { threads: ctx.threads }), candidate.threshold, (m) => new NsError(trainer.usesTrainingRows ? 'NS_JOB_FAILED' : 'NS_VALIDATION', `${trainer.usesTrainingRows ? 'candidate' : 'onnx'}: ${m}`, { field: trainer.usesTrainingRows ? 'candidate' : 'onnx' }));
        const theirs = champion
          ? holdoutMetrics(def, valid.y, await champion.predict(championMatrix(champion, set, window, schema, valid, fresh), { threads: ctx.threads }), champion.threshold, (m) => new NsError('NS_STORE', `champion: ${m}`))
          : null;
        return { value: { mine, theirs }, counts: { holdoutRows: valid.X.rows, ...prefixed('candidate', mine), ...(theirs ? prefixed('champion', theirs) : {}) } };
      });

      const gate = await stages.run('gate', async () => {
        const g = applyGate(def.gate, scored.mine, championVersion && scored.theirs ? { version: championVersion.version, metrics: scored.theirs } : null);
        return { value: g, counts: { passed: g.passed ? 1 : 0, checks: g.reasons.length }, note: g.summary };
      });

      const version = await stages.run('register', async () => {
        const v = await registry.registerVersion(
          {
            tenantId,
            modelName: def.name,
            trainer: trainer.name,
            params: candidate.params ?? def.trainer.params,
            mode,
            parentVersion: mode === 'incremental' ? championBefore : null,
            // The span actually trained on (none for an import): an incremental run later starts after its newest row.
            dataWindow: trainer.usesTrainingRows ? { since: newSince, until: lastTs(fresh) + 1 } : null,
            samples: { train: trainRows.X.rows, holdout: valid.X.rows },
            metrics: scored.mine,
            gate: { passed: gate.passed, reasons: gate.reasons },
            trainingMs,
            trigger: input.trigger,
            runId: input.runId,
            comparedTo: championBefore,
            ...(trainer.usesTrainingRows ? { profile: profileOf(window, set.spec, { since: newSince, until: lastTs(fresh) + 1 }) } : {}),
          },
          artifactBytes(candidate.artifact),
          { fence: input.fence },
        );
        return { value: v, counts: { version: v.version, artifactBytes: v.artifact.size }, note: v.name };
      });

      const base = { mode, version, gate, championBefore, metrics: scored.mine };
      const keeps = `champion ${championBefore === null ? '(none)' : `v${championBefore}`} keeps serving`;
      if (!gate.passed) {
        await registry.applyRetention(tenantId, def.name);
        return { ...base, outcome: 'rejected', message: `${version.name} rejected by the gate: ${gate.summary}; ${keeps}` };
      }
      if (!input.promote) {
        await registry.applyRetention(tenantId, def.name);
        return { ...base, outcome: 'registered', message: `${version.name} registered: ${gate.summary}; not promoted (not asked to); ${keeps}` };
      }
      return await promoteVersion(input, version, gate, championBefore, base);
    } finally {
      await candidate.close();
    }
  } finally {
    await champion?.close();
  }
}

/**
 * Makes a version that passed its gate the champion, conditionally on the champion it was scored
 * against: a training, an import or a rollback that moved the champion meanwhile wins, and this
 * version stays registered (outcome champion_changed).
 */
export async function promoteVersion(
  input: Pick<PipelineInput, 'registry' | 'tenantId' | 'definition' | 'actor' | 'runId' | 'fence' | 'stages' | 'promoteNote'>,
  version: ModelVersion,
  gate: Pick<GateResult, 'summary'>,
  championBefore: number | null,
  base: Omit<PipelineResult, 'outcome' | 'message'>,
): Promise<PipelineResult> {
  const { registry, tenantId } = input;
  const name = input.definition.definition.name;
  return input.stages.run('promote', async (): Promise<{ value: PipelineResult; counts: Record<string, number>; note?: string }> => {
    try {
      const reason = `${input.promoteNote ? `${input.promoteNote}; ` : ''}gate passed: ${gate.summary}`;
      await registry.promote(tenantId, name, version.version, { reason, expectedCurrent: championBefore, actor: input.actor, runId: input.runId, fence: input.fence });
    } catch (error) {
      if (error instanceof NsError && error.code === 'NS_CONFLICT') {
        const message = `${version.name} passed the gate against ${championBefore === null ? 'no champion' : `v${championBefore}`}, but the champion changed meanwhile; not promoted`;
        return { value: { ...base, outcome: 'champion_changed', message }, counts: { promoted: 0 }, note: message };
      }
      throw error;
    }
    await registry.applyRetention(tenantId, name);
    return { value: { ...base, outcome: 'promoted', message: `${version.name} promoted: ${gate.summary}` }, counts: { promoted: 1, version: version.version } };
  });
}

async function loadChampion(registry: ModelRegistry, v: ModelVersion): Promise<ArtifactModel> {
  const loaded = await registry.loadArtifact(v.tenantId, v.modelName, v.version);
  return loadArtifactModel(loaded.bytes, `champion ${v.name}`);
}

/** No rows, same features: what an import "trains" on. */
function emptyOf(set: TrainingSet): TrainingSet {
  return { features: set.features, X: { rows: 0, columns: set.X.columns.map(() => new Float64Array(0)) }, y: new Float64Array(0), ts: new Float64Array(0) };
}

/** The training window's drift profile (at most PROFILE_ROWS of its rows, evenly spaced). */
function profileOf(w: TrainingWindow, spec: FeatureSpec, span: { since: number; until: number }) {
  return w.kind === 'columns' ? profileColumns(w.columns, spec, span, PROFILE_ROWS) : profileSamples(w.samples.filter((s) => s.ts >= span.since), spec, span, PROFILE_ROWS);
}

function lastTs(set: TrainingSet): number {
  let max = -Infinity;
  for (const t of set.ts ?? []) if (t > max) max = t;
  return max;
}

const prefixed = (prefix: string, m: Record<string, number | null>): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null).map(([k, v]) => [`${prefix}.${k}`, v as number]));
