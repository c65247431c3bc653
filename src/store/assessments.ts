/** Stored retrain decisions, newest first per model. */
import type { Executor } from './db.ts';
import type { AssessmentsTable } from './schema.ts';

export type AssessmentRow = AssessmentsTable;

export async function insertAssessment(x: Executor, row: AssessmentRow): Promise<void> {
  await x.insertInto('assessments').values(row).execute();
}

/** Newest first; `before` is the (at, id) of the previous page's last row (keyset pagination). */
export async function listAssessmentRows(
  x: Executor,
  tenantId: string,
  modelName: string,
  page: { limit: number; before?: { at: number; id: string } },
): Promise<AssessmentRow[]> {
  let q = x.selectFrom('assessments').selectAll().where('tenant_id', '=', tenantId).where('model_name', '=', modelName);
  const b = page.before;
  if (b) q = q.where((eb) => eb.or([eb('at', '<', b.at), eb.and([eb('at', '=', b.at), eb('id', '<', b.id)])]));
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}

export async function getAssessmentOfRun(x: Executor, tenantId: string, runId: string): Promise<AssessmentRow | undefined> {
  return x.selectFrom('assessments').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', runId).orderBy('at', 'desc').executeTakeFirst();
}
