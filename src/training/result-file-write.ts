/**
 * Writing a training's result file (the training process's side of result-file.ts). Apart from the
 * reader so the training process loads neither the schema library nor the validator: their modules
 * were about half of what that process loaded before it could start the run.
 */
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import type { TrainingFailure, TrainingResult } from './result-file.ts';

/** Temp name then rename: a reader never sees half a file. */
export async function writeResultFile(file: string, result: TrainingResult | TrainingFailure): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(result)}\n`, { mode: 0o600 });
  await rename(temp, file);
}
