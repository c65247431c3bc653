/**
 * One training of a declared model for one tenant, stage by stage:
 *
 *   load → features → train → evaluate → gate → register → promote
 *
 * Full mode trains from scratch on the window (default the last 180 days). Incremental mode
 * continues from the champion (GBDT: its bins and trees plus `incrementalTrees` more; linear:
 * partialFit) on the samples that arrived after the champion's window, and falls back to full
 * when there is no champion of the same kind to continue from. Either way the newest
 * `holdoutFraction` of the rows is held out; the candidate and the champion are both scored on
 * it, and the gate decides. Every stage reports its duration and counts.
 */
import type { Clock } from '../clock.ts';
import { NsError } from '../errors.ts';
import { buildTrainingSet, requiredHistorySeconds, type BuiltTrainingSet } from '../data/features/index.ts';
import { datasetSchemaOf } from '../store/datasets.ts';
import { requireDataset } from '../data/ingest/dataset-service.ts';
import type { Db } from '../store/db.ts';
import type { ModelRegistry, ModelVersion } from '../registry/index.ts';
import { GbdtModel, trainGbdt } from '../trainers/gbdt/index.ts';
import { timeHoldout } from '../trainers/holdout.ts';
import { LinearModel, trainLinear } from '../trainers/linear/index.ts';
import type { TrainedModel, TrainingSet, TrainProgress } from '../trainers/types.ts';
import { loadArtifactModel, type ArtifactModel } from './artifact-model.ts';
import { championMatrix, holdoutMetrics, rowsSince } from './holdout-scoring.ts';
import { applyGate, type GateResult } from './gate.ts';
import type { ModelDefinition } from './model-definition.ts';
import { modelSource } from './model-source.ts';

const DAY_MS = 86_400_000;
/** Fewer labeled rows than this cannot give a trustworthy holdout: the training ends as no_data. */
export const MIN_ROWS = 20;

export type TrainOutcome = 'promoted' | 'rejected' | 'no_data' | 'champion_changed';

export interface StageReport {
  stage: 'load' | 'features' | 'train' | 'evaluate' | 'gate' | 'register' | 'promote';
  durationMs: number;
  counts: Record<string, number>;
  note?: string;
}

export interface TrainModelInput {
  db: Db;
  registry: ModelRegistry;
  clock: Clock;
  tenantId: string;
  definition: ModelDefinition;
  /** The service's default when the model sets none. */
  defaultMode: 'full' | 'incremental';
  /** Overrides of this one training (a manual trigger's body). */
  overrides?: { mode?: 'full' | 'incremental'; dataRangeDays?: number };
  trigger: string;
  runId?: string | null;
  signal?: AbortSignal;
  threads?: number;
  onStage?: (report: StageReport) => void;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainModelResult {
  outcome: TrainOutcome;
  mode: 'full' | 'incremental';
  version: ModelVersion | null;
  gate: GateResult | null;
  championBefore: number | null;
  metrics: Record<string, number | null>;
  message: string;
}

export async function trainModel(input: TrainModelInput): Promise<TrainModelResult> {
  const { db, registry, clock, tenantId, definition: def } = input;
  const stage = timer(input.onStage);
  const requested = input.overrides?.mode ?? def.mode ?? input.defaultMode;
  const dataRangeDays = input.overrides?.dataRangeDays ?? def.dataRangeDays;

  // Load: the champion (to continue from and to compare with), then the window's samples.
  const schema = datasetSchemaOf(await requireDataset(db.k, tenantId, def.dataset));
  const championVersion = await registry.champion(tenantId, def.name);
  const champion = championVersion ? await loadChampion(registry, championVersion) : null;
  try {
    const canContinue = champion !== null && champion.trained !== null && champion.kind === def.trainer.kind && champion.task === def.task;
    const mode: 'full' | 'incremental' = requested === 'incremental' && canContinue ? 'incremental' : 'full';
    const until = clock.now();
    const fullSince = until - dataRangeDays * DAY_MS;
    const newSince = mode === 'incremental' ? Math.max(fullSince, championVersion!.dataWindow?.until ?? fullSince) : fullSince;
    // Lag and rolling features of the first new rows read the history before them.
    const spec = mode === 'incremental' ? champion!.featureSpec : def.features;
    const historyMs = requiredHistorySeconds(spec) * 1000;
    input.signal?.throwIfAborted();
    const samples = await stage('load', async () => {
      const rows = await modelSource(db.k, def, schema).load(tenantId, { since: Math.max(0, newSince - historyMs), until }, input.signal);
      return { value: rows, counts: { samples: rows.length, windowDays: dataRangeDays } };
    });

    // Features: one transform for training and serving; an incremental run keeps the champion's vocabulary.
    const { set, fresh } = await stage('features', async () => {
      const built = buildTrainingSet(samples, spec, schema);
      const fresh = rowsSince(built, newSince);
      return { value: { set: built, fresh }, counts: { labeled: built.X.rows, unlabeled: built.unlabeled, rows: fresh.X.rows, features: built.features.length } };
    });
    if (fresh.X.rows < MIN_ROWS) {
      const message = `${fresh.X.rows} labeled row(s) in the window (${mode === 'incremental' ? 'since the champion was trained' : `last ${dataRangeDays} days`}); at least ${MIN_ROWS} are needed`;
      return { outcome: 'no_data', mode, version: null, gate: null, championBefore: championVersion?.version ?? null, metrics: {}, message };
    }
    const { train, valid } = timeHoldout(fresh, def.holdoutFraction);

    const t0 = clock.now();
    const candidate = await stage('train', async () => {
      const model = await fit(def, train, set, mode === 'incremental' ? champion!.trained : null, input);
      return { value: model, counts: { trainRows: train.X.rows, ...(model instanceof GbdtModel ? { trees: model.body.trees.length } : {}) } };
    });
    const trainingMs = clock.now() - t0;

    const scored = await stage('evaluate', async () => {
      const mine = holdoutMetrics(def, valid.y, candidate.predict(valid.X, { threads: input.threads ?? 1 }));
      const theirs = champion ? holdoutMetrics(def, valid.y, await champion.predict(championMatrix(champion, set, samples, schema, valid, fresh)), champion.threshold, (m) => new NsError('NS_STORE', `champion: ${m}`)) : null;
      return { value: { mine, theirs }, counts: { holdoutRows: valid.X.rows, ...prefixed('candidate', mine), ...(theirs ? prefixed('champion', theirs) : {}) } };
    });

    const gate = await stage('gate', async () => {
      const g = applyGate(def.gate, scored.mine, championVersion && scored.theirs ? { version: championVersion.version, metrics: scored.theirs } : null);
      return { value: g, counts: { passed: g.passed ? 1 : 0, checks: g.reasons.length }, note: g.summary };
    });

    const artifact = candidate.toArtifact();
    const version = await stage('register', async () => {
      const v = await registry.registerVersion(
        {
          tenantId,
          modelName: def.name,
          trainer: def.trainer.kind,
          params: def.trainer.params,
          mode,
          parentVersion: mode === 'incremental' ? championVersion!.version : null,
          // The span actually seen: an incremental run later starts after the newest row used here.
          dataWindow: { since: newSince, until: lastTs(fresh) + 1 },
          samples: { train: train.X.rows, holdout: valid.X.rows },
          metrics: scored.mine,
          gate: { passed: gate.passed, reasons: gate.reasons },
          trainingMs,
          trigger: input.trigger,
          runId: input.runId ?? null,
        },
        Buffer.from(JSON.stringify(artifact)),
      );
      return { value: v, counts: { version: v.version, artifactBytes: v.artifact.size }, note: v.name };
    });

    const base = { mode, version, gate, championBefore: championVersion?.version ?? null, metrics: scored.mine };
    if (!gate.passed) {
      await registry.applyRetention(tenantId, def.name);
      return { ...base, outcome: 'rejected', message: `${version.name} rejected by the gate: ${gate.summary}; champion ${championVersion ? `v${championVersion.version}` : '(none)'} keeps serving` };
    }
    return await stage('promote', async (): Promise<{ value: TrainModelResult; counts: Record<string, number>; note?: string }> => {
      try {
        await registry.promote(tenantId, def.name, version.version, {
          reason: `gate passed: ${gate.summary}`,
          expectedCurrent: championVersion?.version ?? null,
          actor: input.trigger,
          runId: input.runId ?? null,
        });
      } catch (error) {
        // Another training or a rollback changed the champion after we compared against it.
        if (error instanceof NsError && error.code === 'NS_CONFLICT') {
          const message = `${version.name} passed the gate against v${championVersion?.version ?? '-'}, but the champion changed meanwhile; not promoted`;
          return { value: { ...base, outcome: 'champion_changed', message }, counts: { promoted: 0 }, note: message };
        }
        throw error;
      }
      await registry.applyRetention(tenantId, def.name);
      return { value: { ...base, outcome: 'promoted', message: `${version.name} promoted: ${gate.summary}` }, counts: { promoted: 1, version: version.version } };
    });
  } finally {
    await champion?.close();
  }
}

async function loadChampion(registry: ModelRegistry, v: ModelVersion): Promise<ArtifactModel> {
  const loaded = await registry.loadArtifact(v.tenantId, v.modelName, v.version);
  return loadArtifactModel(loaded.bytes, `champion ${v.name}`);
}

function fit(def: ModelDefinition, train: TrainingSet, built: BuiltTrainingSet, init: ArtifactModel['trained'], input: TrainModelInput): Promise<TrainedModel> {
  const ctx = { seed: def.seed, threads: input.threads ?? 1, ...(input.signal ? { signal: input.signal } : {}), ...(input.onProgress ? { onProgress: input.onProgress } : {}) };
  if (def.trainer.kind === 'gbdt') {
    const params = init ? { ...def.trainer.params, numTrees: def.incrementalTrees } : def.trainer.params;
    return trainGbdt(train, params, ctx, { featureSpec: built.spec, ...(init instanceof GbdtModel ? { initModel: init } : {}) }).then((r) => r.model);
  }
  return trainLinear(train, def.trainer.params, ctx, { featureSpec: built.spec, ...(init instanceof LinearModel ? { initModel: init } : {}) });
}

function lastTs(set: TrainingSet): number {
  let max = -Infinity;
  for (const t of set.ts ?? []) if (t > max) max = t;
  return max;
}

const prefixed = (prefix: string, m: Record<string, number | null>): Record<string, number> =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null).map(([k, v]) => [`${prefix}.${k}`, v as number]));

/** Runs a stage, timing it and reporting its counts. */
function timer(onStage: TrainModelInput['onStage']) {
  return async <T>(name: StageReport['stage'], body: () => Promise<{ value: T; counts: Record<string, number>; note?: string }>): Promise<T> => {
    const t0 = performance.now();
    const { value, counts, note } = await body();
    onStage?.({ stage: name, durationMs: Math.round(performance.now() - t0), counts, ...(note !== undefined ? { note } : {}) });
    return value;
  };
}
