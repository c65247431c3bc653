/**
 * The command trainer: any executable that speaks the trainer protocol (docs/trainer-protocol.md).
 * It writes the job file and data into a fresh directory, runs the command through runCommand (own
 * process group; abort → SIGTERM → SIGKILL after the grace), turns `::progress` lines into
 * TrainProgress, and on exit 0 checks the model file and metrics.json and builds a ModelArtifact.
 * Every failure is an NsError: NS_JOB_TRANSIENT (exit 75, retryable), NS_JOB_FAILED, NS_JOB_TIMEOUT,
 * NS_JOB_CANCELLED, or NS_VALIDATION for bad inputs.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { NsError } from '../../errors.ts';
import { runCommand, type ExecResult, type OutputStream } from '../../runs/exec/index.ts';
import type { ModelArtifact, Task, TrainProgress, TrainingSet } from '../types.ts';
import { TRAINER_PROTOCOL_VERSION, WORK_FILES, writeJobFile, type DataFormat, type TrainMode, type TrainerJobFile } from './job-file.ts';
import { inspectModelFile, readMetricsFile } from './outputs.ts';
import { parseProgressLine } from './progress.ts';
import { writeTrainingData } from './write-data.ts';

export const COMMAND_TRAINER_DEFAULTS = Object.freeze({
  format: 'csv' as DataFormat,
  modelFile: 'model.bin',
  label: 'label',
  logTailBytes: 64 * 1024,
});

/** No single timer waits longer than this; a long timeout is re-armed against the monotonic clock. */
const MAX_TIMER_MS = 30_000;
const MODEL_FORMATS: Readonly<Record<string, string>> = { '.json': 'json', '.onnx': 'onnx', '.pkl': 'pickle', '.pickle': 'pickle', '.joblib': 'joblib', '.txt': 'text' };

/** How to start the trainer. The job file path is appended as the last argument. */
export interface CommandTrainerSpec {
  command: string;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Working directory; defaults to the run's fresh work directory. */
  cwd?: string;
  /** Data file format; default csv. */
  format?: DataFormat;
  /** Name of the model file the trainer writes into its output dir; default `model.bin`. */
  modelFile?: string;
  /** Format hint recorded in the artifact; default derived from modelFile's extension (`binary` otherwise). */
  modelFormat?: string;
}

export interface CommandTrainerOptions {
  tenantId: string;
  modelName: string;
  task: Task;
  mode: TrainMode;
  params?: Record<string, unknown>;
  seed: number;
  /** Label column name in the data file; default `label`. */
  label?: string;
  /** Held-out rows, written next to the training data. */
  validation?: TrainingSet;
  /** Incremental mode: the previous version's model file (required then). */
  previousModelPath?: string;
  /** Parent directory; each call works in a fresh directory inside it. */
  workDir: string;
  signal?: AbortSignal;
  killGraceMs: number;
  /** Kill the trainer (SIGTERM, then SIGKILL after killGraceMs) after this long. */
  timeoutMs?: number;
  logTailBytes?: number;
  /** Run the trainer this much below nightshift's own CPU priority (0–19; the service passes jobNiceness). Default 0. */
  niceness?: number;
  /** Carried into the artifact unchanged (the feature-engineering spec). */
  featureSpec?: unknown;
  onProgress?: (p: TrainProgress) => void;
  onLine?: (stream: OutputStream, line: string) => void;
  onSpawn?: (pid: number) => void;
}

/** The artifact body of a command-trained model: the file is stored next to the artifact. */
export interface CommandModelBody {
  protocol: typeof TRAINER_PROTOCOL_VERSION;
  /** File name relative to the artifact (as written in the trainer's output dir). */
  modelFile: string;
  sha256: string;
  size: number;
  /** A hint for loaders: json, onnx, pickle, joblib, text or binary. */
  format: string;
}

export interface CommandTrainerResult {
  /** Absolute path of the model file, inside `runDir`. */
  modelPath: string;
  metrics: Record<string, number>;
  artifact: ModelArtifact;
  durationMs: number;
  /** The fresh directory this call used; the caller removes it once the model is stored. Input data is already gone. */
  runDir: string;
  logTail: string;
}

export async function runCommandTrainer(spec: CommandTrainerSpec, set: TrainingSet, options: CommandTrainerOptions): Promise<CommandTrainerResult> {
  const t0 = performance.now();
  const o = checkOptions(spec, set, options);
  const previousModel = await checkPreviousModel(options);
  throwIfCancelled(options.signal);
  await mkdir(options.workDir, { recursive: true });
  const runDir = await mkdtemp(path.join(path.resolve(options.workDir), `${slug(options.modelName)}-`));
  const inputs: string[] = [];
  try {
    const job = await prepare(runDir, o, set, options, previousModel, inputs);
    const jobPath = path.join(runDir, WORK_FILES.job);
    await writeJobFile(jobPath, job);
    const result = await execute(spec, jobPath, runDir, options);
    await removeAll(inputs);
    const metrics = { ...result.metrics, ...(await readMetricsFile(job.paths.metrics)) };
    const model = await inspectModelFile(job.paths.model);
    const body: CommandModelBody = { protocol: TRAINER_PROTOCOL_VERSION, modelFile: o.modelFile, sha256: model.sha256, size: model.size, format: o.modelFormat };
    const artifact: ModelArtifact = {
      format: 'nightshift-model',
      version: 1,
      kind: 'command',
      task: options.task,
      features: set.features,
      ...(options.featureSpec !== undefined ? { featureSpec: options.featureSpec } : {}),
      params: { ...(options.params ?? {}) },
      body,
    };
    return { modelPath: job.paths.model, metrics, artifact, durationMs: Math.round(performance.now() - t0), runDir, logTail: result.logTail };
  } catch (error) {
    await rm(runDir, { recursive: true, force: true });
    if (!(error instanceof NsError) && options.signal?.aborted) throw new NsError('NS_JOB_CANCELLED', 'trainer cancelled while its data was written', { cause: error });
    throw error;
  }
}

interface Checked {
  format: DataFormat;
  modelFile: string;
  modelFormat: string;
  label: string;
}

function checkOptions(spec: CommandTrainerSpec, set: TrainingSet, o: CommandTrainerOptions): Checked {
  const modelFile = spec.modelFile ?? COMMAND_TRAINER_DEFAULTS.modelFile;
  if (modelFile !== path.basename(modelFile) || modelFile === '.' || modelFile === '..' || modelFile === WORK_FILES.metrics) {
    throw invalid('modelFile', `must be a plain file name other than ${WORK_FILES.metrics}, got "${modelFile}"`);
  }
  if (o.mode === 'incremental' && o.previousModelPath === undefined) throw invalid('previousModelPath', 'required in incremental mode');
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw invalid('timeoutMs', `must be positive, got ${o.timeoutMs}`);
  if (!Number.isSafeInteger(o.seed)) throw invalid('seed', `must be an integer, got ${o.seed}`);
  const shape = (s: TrainingSet) => JSON.stringify(s.features.map((f) => [f.name, f.type]));
  if (o.validation && shape(o.validation) !== shape(set)) throw invalid('validation', 'the validation set must have the same features (names and types, in order) as the training set');
  return {
    format: spec.format ?? COMMAND_TRAINER_DEFAULTS.format,
    modelFile,
    modelFormat: spec.modelFormat ?? MODEL_FORMATS[path.extname(modelFile).toLowerCase()] ?? 'binary',
    label: o.label ?? COMMAND_TRAINER_DEFAULTS.label,
  };
}

/** Incremental mode: the absolute path of the previous model file, which must exist. */
async function checkPreviousModel(options: CommandTrainerOptions): Promise<string | undefined> {
  if (options.mode !== 'incremental' || options.previousModelPath === undefined) return undefined;
  const file = path.resolve(options.previousModelPath);
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw invalid('previousModelPath', `previous model file not found: ${file}`);
  return file;
}

/** Writes the data files and builds the job file; `inputs` collects what to delete after the run. */
async function prepare(runDir: string, o: Checked, set: TrainingSet, options: CommandTrainerOptions, previousModel: string | undefined, inputs: string[]): Promise<TrainerJobFile> {
  const outputDir = path.join(runDir, WORK_FILES.output);
  await mkdir(outputDir);
  const data = path.join(runDir, WORK_FILES.data(o.format));
  inputs.push(data);
  await writeTrainingData(data, set, { format: o.format, label: o.label, ...(options.signal ? { signal: options.signal } : {}) });
  let validation: string | undefined;
  if (options.validation) {
    validation = path.join(runDir, WORK_FILES.validation(o.format));
    inputs.push(validation);
    await writeTrainingData(validation, options.validation, { format: o.format, label: o.label, ...(options.signal ? { signal: options.signal } : {}) });
  }
  return {
    protocol: TRAINER_PROTOCOL_VERSION,
    tenantId: options.tenantId,
    modelName: options.modelName,
    task: options.task,
    mode: options.mode,
    params: { ...(options.params ?? {}) },
    dataFormat: o.format,
    paths: {
      data,
      ...(validation !== undefined ? { validation } : {}),
      ...(previousModel !== undefined ? { previousModel } : {}),
      outputDir,
      model: path.join(outputDir, o.modelFile),
      metrics: path.join(outputDir, WORK_FILES.metrics),
    },
    features: set.features.map((f) => ({ name: f.name, type: f.type, ...(f.categories ? { categories: [...f.categories] } : {}) })),
    label: o.label,
    seed: options.seed,
  };
}

/** Runs the command; resolves only on exit 0, otherwise throws the matching NsError. */
async function execute(spec: CommandTrainerSpec, jobPath: string, runDir: string, options: CommandTrainerOptions): Promise<ExecResult> {
  throwIfCancelled(options.signal);
  const controller = new AbortController();
  let reason: 'cancel' | 'timeout' | null = null;
  const stop = (why: 'cancel' | 'timeout') => {
    reason ??= why;
    controller.abort(why);
  };
  const onCancel = () => stop('cancel');
  options.signal?.addEventListener('abort', onCancel, { once: true });
  const disarm = options.timeoutMs !== undefined ? armDeadline(options.timeoutMs, () => stop('timeout')) : () => undefined;
  try {
    const result = await runCommand(
      { command: spec.command, args: [...(spec.args ?? []), jobPath], env: spec.env ?? {}, cwd: spec.cwd ?? runDir },
      {
        signal: controller.signal,
        killGraceMs: options.killGraceMs,
        logTailBytes: options.logTailBytes ?? COMMAND_TRAINER_DEFAULTS.logTailBytes,
        extraEnv: { NIGHTSHIFT_JOB_FILE: jobPath, NIGHTSHIFT_TRAINER_PROTOCOL: String(TRAINER_PROTOCOL_VERSION) },
        onLine: (stream, line) => {
          const progress = stream === 'stdout' && options.onProgress ? parseProgressLine(line) : null;
          if (progress) notify(() => options.onProgress?.(progress));
          if (options.onLine) notify(() => options.onLine?.(stream, line));
        },
        onSpawn: (pid) => {
          lowerPriority(pid, options.niceness ?? 0);
          if (options.onSpawn) notify(() => options.onSpawn?.(pid));
        },
      },
    );
    const details = { exitCode: result.exitCode, signal: result.signal, logTail: result.logTail, durationMs: result.durationMs };
    if (result.status === 'succeeded') return result;
    if (result.status === 'aborted' && reason === 'timeout') {
      throw new NsError('NS_JOB_TIMEOUT', `trainer ${spec.command} ran past its timeout of ${options.timeoutMs} ms and was killed (${result.error})`, { details });
    }
    if (result.status === 'aborted') throw new NsError('NS_JOB_CANCELLED', `trainer ${spec.command} cancelled (${result.error})`, { details });
    if (result.status === 'transient') {
      throw new NsError('NS_JOB_TRANSIENT', `trainer ${spec.command} failed transiently: ${result.error}`, { retryable: true, details });
    }
    throw new NsError('NS_JOB_FAILED', `trainer ${spec.command} failed: ${result.error}`, { details });
  } finally {
    disarm();
    options.signal?.removeEventListener('abort', onCancel);
  }
}

/** Calls `fire` once `ms` have passed on the monotonic clock; returns a disarm function. */
function armDeadline(ms: number, fire: () => void): () => void {
  const due = performance.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = due - performance.now();
    if (left <= 0) {
      timer = undefined;
      fire();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return () => clearTimeout(timer);
}

/** Children the trainer starts later inherit it. Failing to renice (no permission) is not fatal. */
function lowerPriority(pid: number, niceness: number): void {
  if (niceness <= 0) return;
  try {
    setPriority(pid, Math.min(19, getPriority(0) + niceness));
  } catch {
    // keep the default priority
  }
}

/** A listener's bug must not break supervision of the trainer. */
function notify(listener: () => void): void {
  try {
    listener();
  } catch {
    // swallowed, as runCommand does for onLine
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new NsError('NS_JOB_CANCELLED', 'trainer cancelled before it started', { cause: signal.reason });
}

async function removeAll(files: readonly string[]): Promise<void> {
  await Promise.all(files.map((f) => rm(f, { force: true })));
}

function slug(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^\.+/, '').slice(0, 64) || 'model';
}

function invalid(field: string, message: string): NsError {
  return new NsError('NS_VALIDATION', `command trainer: ${field}: ${message}`, { field });
}
