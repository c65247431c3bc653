/**
 * What every trainer of the training pipeline implements: the built-in GBDT and linear trainers,
 * any command that speaks the trainer protocol (Python included), and the import of an ONNX model.
 * The pipeline (pipeline.ts) does everything around it the same way for all of them: load the
 * window, build the features, hold out the newest rows, score the candidate and the champion on
 * them, gate, register, promote.
 */
import type { FeatureSpec } from '../data/features/index.ts';
import type { Matrix, ModelArtifact, TrainProgress, TrainingSet } from '../trainers/types.ts';
import type { ArtifactModel } from './artifact-model.ts';
import type { ModelDefinition } from './model-definition.ts';

export interface TrainerContext {
  /** Everything random derives from this (the model's seed). */
  seed: number;
  /** Threads this training may use (its share of NIGHTSHIFT_TRAIN_THREADS). */
  threads: number;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  now: () => number;
  /** Where a trainer that works with files (command) makes its directory; removed afterwards. */
  workDir: string;
  /** SIGTERM → SIGKILL delay for a trainer process the pipeline starts. */
  killGraceMs: number;
  /** How far below this process's priority a trainer process runs. */
  niceness: number;
}

export interface TrainerInput {
  tenantId: string;
  definition: ModelDefinition;
  mode: 'full' | 'incremental';
  /** The fitted spec the matrices were built with: stored with the model, so serving applies it. */
  spec: FeatureSpec;
  train: TrainingSet;
  /** The holdout (never trained on): a command trainer receives it as its validation file. */
  valid: TrainingSet;
  /** The champion to continue from (incremental mode only). */
  init: ArtifactModel | null;
  ctx: TrainerContext;
}

/** A trained (or imported) model, ready to be scored on the holdout and registered. */
export interface Candidate {
  artifact: ModelArtifact;
  /** `threads`: the training's thread budget (large holdouts are scored on that many threads). */
  predict(X: Matrix, options?: { threads?: number }): Promise<Float64Array>;
  /** Binary decision threshold serving will apply. */
  threshold: number;
  /** Recorded with the stage (trees, epochs, …). */
  counts: Record<string, number>;
  /** Recorded as the version's params; default the declaration's trainer params. */
  params?: Record<string, unknown>;
  close(): Promise<void>;
}

export interface Trainer {
  /** Recorded as the version's trainer: gbdt, linear, command, onnx-import. */
  readonly name: string;
  /** False for an import: the window only provides the holdout, no rows are trained on. */
  readonly usesTrainingRows: boolean;
  /** Whether an incremental training may continue from this champion (of the version's trainer). */
  canContinue(champion: ArtifactModel, championTrainer: string, definition: ModelDefinition): boolean;
  train(input: TrainerInput): Promise<Candidate>;
}
