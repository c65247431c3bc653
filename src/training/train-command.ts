/**
 * How the service runs a `train` job: as a child process of nightshift's own training entry
 * (train-main.ts), so training never shares the API's event loop or heap, and a train job inherits
 * everything a command job has — process group, timeout and cancel by signal, orphan recovery,
 * exit 75 = retry. The child leaves its typed result in a file whose path it is given.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArtifactStorageKind, Settings } from '../config/types.ts';
import { masterKeyEnvToForward } from '../config/master-key-env.ts';
import type { CommandSpec } from '../runs/exec/types.ts';
import { entryUrl } from '../entries.ts';

/** What the child needs from the service, passed as one JSON variable. */
export interface TrainContext {
  dataDir: string;
  databaseUrl: string | null;
  /** Where artifacts live (NIGHTSHIFT_ARTIFACTS), so the child registers where the service reads. */
  artifacts: ArtifactStorageKind;
  /** The service's ML_TRAINING_MODE, for models that set no mode. */
  mode: 'full' | 'incremental';
  /** The lease owner (this node): the child's writes check it still holds the run. */
  owner: string;
  /** Where the child writes its result (result-file.ts). */
  resultFile: string;
  /** Where trainers that work with files make their directories. */
  workDir: string;
  /** This training's share of NIGHTSHIFT_TRAIN_THREADS. */
  threads: number;
  /** SIGTERM → SIGKILL delay for a command trainer the child starts: half the service's, so it is gone before the child is killed. */
  killGraceMs: number;
  niceness: number;
  /** The registry's retention (NIGHTSHIFT_KEEP_VERSIONS, NIGHTSHIFT_KEEP_CHAMPIONS), applied after each training. */
  keepVersions: number;
  keepChampions: number;
}

export const TRAIN_CONTEXT_ENV = 'NIGHTSHIFT_TRAIN_CONTEXT';

export type TrainSettings = Pick<Settings, 'dataDir' | 'databaseUrl' | 'artifacts' | 'training' | 'killGraceMs' | 'jobNiceness' | 'keepVersions' | 'keepChampions'>;

/** The result file of one attempt of a run, under the data dir (the node that runs it is the node that reads it). */
export function resultFileOf(dataDir: string, runId: string, attempt: number): string {
  const dir = path.join(path.resolve(dataDir), 'work', 'results');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${runId}.${attempt}.json`);
}

export function trainCommand(settings: TrainSettings, run: { owner: string; resultFile: string; threads: number }): CommandSpec {
  const context: TrainContext = {
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    artifacts: settings.artifacts,
    mode: settings.training.mode,
    owner: run.owner,
    resultFile: run.resultFile,
    workDir: path.join(path.resolve(settings.dataDir), 'work', 'trainers'),
    threads: run.threads,
    killGraceMs: Math.max(100, Math.floor(settings.killGraceMs / 2)),
    niceness: 0,
    keepVersions: settings.keepVersions,
    keepChampions: settings.keepChampions,
  };
  const entry = fileURLToPath(entryUrl('train-main'));
  // Sources run through tsx; a compiled .js entry would start directly.
  const loader = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  // The master key, when it comes from the environment, reaches nightshift's own child only (jobs never inherit it).
  return { command: process.execPath, args: [...loader, entry], env: { [TRAIN_CONTEXT_ENV]: JSON.stringify(context), ...masterKeyEnvToForward() } };
}
