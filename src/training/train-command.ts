/**
 * How the engine runs a `train` job: as a child process of nightshift's own training entry
 * (train-main.ts), so training never shares the API's event loop or heap, and a train job inherits
 * everything a command job has — process group, timeout and cancel by signal, orphan recovery,
 * exit 75 = retry, output directives for metrics and the outcome.
 */
import { fileURLToPath } from 'node:url';
import type { ArtifactStorageKind, Settings, TrainJob } from '../config/types.ts';
import type { CommandSpec } from '../runs/exec/types.ts';
import { entryUrl } from '../entries.ts';

/** What the child needs from the service's settings, passed as one JSON variable. */
export interface TrainContext {
  dataDir: string;
  databaseUrl: string | null;
  /** Where artifacts live (NIGHTSHIFT_ARTIFACTS), so the child registers where the service reads. */
  artifacts: ArtifactStorageKind;
  /** The service's ML_TRAINING_MODE, for models that set no mode. */
  mode: 'full' | 'incremental';
  model: string;
}

export const TRAIN_CONTEXT_ENV = 'NIGHTSHIFT_TRAIN_CONTEXT';


export function trainCommand(job: TrainJob, settings: Pick<Settings, 'dataDir' | 'databaseUrl' | 'artifacts' | 'training'>): CommandSpec {
  const context: TrainContext = {
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    artifacts: settings.artifacts,
    mode: settings.training.mode,
    model: job.model,
  };
  const entry = fileURLToPath(entryUrl('train-main'));
  // Sources run through tsx; a compiled .js entry would start directly.
  const loader = entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  return { command: process.execPath, args: [...loader, entry], env: { [TRAIN_CONTEXT_ENV]: JSON.stringify(context) } };
}
