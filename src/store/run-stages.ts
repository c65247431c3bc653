/** The stages of a training run's attempts: one row each, written as the stage ends. */
import type { Executor } from './db.ts';
import type { RunStagesTable } from './schema.ts';

export type RunStageRow = RunStagesTable;

export async function insertRunStage(x: Executor, row: RunStageRow): Promise<void> {
  await x.insertInto('run_stages').values(row).execute();
}

/** Every stage of the run, attempt by attempt, in order. */
export async function listRunStages(x: Executor, tenantId: string, runId: string): Promise<RunStageRow[]> {
  return x.selectFrom('run_stages').selectAll().where('run_id', '=', runId).where('tenant_id', '=', tenantId).orderBy('attempt').orderBy('seq').execute();
}
