/**
 * Any executable as a model's trainer, Python scripts included, through the trainer protocol
 * (docs/trainer-protocol.md): the pipeline writes the training rows and the holdout for it, runs
 * it, and takes back its model file, which must be one nightshift can serve:
 *
 *   - `.onnx`: input float [N, d] in job-file feature order (NaN = missing), wrapped with the
 *     fitted feature spec exactly as an import is;
 *   - `.json`: a nightshift-model artifact (kind gbdt, linear or onnx) for the same features.
 *
 * Either way the candidate is scored, gated, registered and served like a built-in trainer's. In
 * incremental mode the champion's model goes back to the trainer as `paths.previousModel`, in the
 * format it wrote.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NsError } from '../errors.ts';
import { decodeOnnxBody, onnxArtifact } from '../serving/onnx-artifact.ts';
import { parseArtifact, predictorOf } from '../serving/predictor.ts';
import { runCommandTrainer } from '../trainers/command/index.ts';
import type { ModelArtifact } from '../trainers/types.ts';
import type { CommandTrainerConfig } from './model-definition.ts';
import type { Candidate, Trainer, TrainerInput } from './trainer.ts';

/** The model file formats a command trainer may write, by extension. */
export const COMMAND_MODEL_FORMATS = ['.onnx', '.json'] as const;

export const commandTrainer: Trainer = {
  name: 'command',
  usesTrainingRows: true,
  // Continuing needs a model this trainer wrote (its previous version), in a format it can read back.
  canContinue: (champion, championTrainer) => championTrainer === 'command' && (champion.kind === 'onnx' || champion.kind === 'gbdt' || champion.kind === 'linear'),
  async train(input) {
    const { definition: def, ctx } = input;
    const run = commandConfigOf(def.trainer);
    const previousModelPath = input.mode === 'incremental' && input.init ? await writePrevious(input.init.artifact, run.modelFile, ctx.workDir, def.name) : undefined;
    const result = await runCommandTrainer(
      { command: run.command, args: run.args, env: run.env, ...(run.cwd ? { cwd: run.cwd } : {}), format: run.format, modelFile: run.modelFile },
      input.train,
      {
        tenantId: input.tenantId,
        modelName: def.name,
        task: def.task,
        mode: input.mode,
        params: def.trainer.params,
        seed: def.seed,
        label: run.label,
        validation: input.valid,
        ...(previousModelPath ? { previousModelPath } : {}),
        workDir: ctx.workDir,
        killGraceMs: ctx.killGraceMs,
        niceness: ctx.niceness,
        featureSpec: input.spec,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
      },
    ).finally(() => (previousModelPath ? rm(previousModelPath, { force: true }) : undefined));
    try {
      const bytes = await readFile(result.modelPath);
      const artifact = await servableArtifact(bytes, run.modelFile, input);
      const predictor = await predictorOf(artifact, bytes.byteLength);
      return {
        artifact,
        predict: async (X) => predictor.predictMatrix(X),
        threshold: predictor.threshold,
        counts: { trainerMs: result.durationMs, ...numericOnly(result.metrics, 'trainer.') },
        close: () => predictor.close(),
      };
    } finally {
      await rm(result.runDir, { recursive: true, force: true });
    }
  },
};

/** The trainer's model file as an artifact serving can load, for the features it was given. */
async function servableArtifact(bytes: Buffer, modelFile: string, input: TrainerInput): Promise<ModelArtifact> {
  const { definition: def } = input;
  const invalid = (message: string, cause?: unknown) =>
    new NsError('NS_JOB_FAILED', `command trainer of model "${def.name}": its model file ${modelFile} ${message}`, { field: 'trainer.modelFile', ...(cause ? { cause } : {}) });
  if (path.extname(modelFile).toLowerCase() === '.onnx') {
    try {
      return await onnxArtifact(new Uint8Array(bytes), { task: def.task, featureSpec: input.spec });
    } catch (error) {
      throw invalid(`cannot be served: ${(error as Error).message}`, error);
    }
  }
  let artifact: ModelArtifact;
  try {
    artifact = parseArtifact(bytes);
  } catch (error) {
    throw invalid(`is not a nightshift-model artifact: ${(error as Error).message}`, error);
  }
  if (artifact.task !== def.task) throw invalid(`is for task "${artifact.task}", the model's task is "${def.task}"`);
  const expected = input.train.features.map((f) => f.name).join(',');
  if (artifact.features.map((f) => f.name).join(',') !== expected) throw invalid(`has features ${artifact.features.map((f) => f.name).join(', ')}; the job file gave ${expected.split(',').join(', ')}`);
  // The spec the rows were built with is the one serving must apply.
  return { ...artifact, featureSpec: input.spec };
}

/** The champion's model, as this trainer wrote it, for `paths.previousModel`. */
async function writePrevious(artifact: ModelArtifact, modelFile: string, workDir: string, model: string): Promise<string> {
  await mkdir(workDir, { recursive: true });
  const file = path.join(workDir, `${model}-previous-${process.pid}${path.extname(modelFile)}`);
  const bytes = artifact.kind === 'onnx' ? decodeOnnxBody(artifact.body).bytes : new TextEncoder().encode(JSON.stringify(artifact));
  await writeFile(file, bytes, { mode: 0o600 });
  return file;
}

export function commandConfigOf(trainer: TrainerInput['definition']['trainer']): CommandTrainerConfig {
  if (trainer.kind !== 'command') throw new NsError('NS_INTERNAL', `trainer "${trainer.kind}" is not a command trainer`);
  return trainer.run;
}

const numericOnly = (metrics: Record<string, number>, prefix: string): Record<string, number> =>
  Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k}`, v]));

