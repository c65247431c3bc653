/** Stored retrain decisions, newest first per model. */
import type { Executor } from './db.ts';
import type { AssessmentsTable } from './schema.ts';

export type AssessmentRow = AssessmentsTable;

/**
 * The drift rule's verdict and the champion are copied from the assessment into columns, for
 * DATA_DRIFT (monitor-facts.ts) to read without parsing every stored assessment.
 */
export async function insertAssessment(x: Executor, row: AssessmentRow): Promise<void> {
  const parsed = JSON.parse(row.assessment) as { rules?: Array<{ rule: string; verdict: string; value: number | null; threshold: number }>; champion?: { version: number } | null };
  const drift = parsed.rules?.find((r) => r.rule === 'drift');
  await x
    .insertInto('assessments')
    .values({
      ...row,
      drift_verdict: drift?.verdict ?? null,
      drift_value: drift?.value ?? null,
      drift_threshold: drift?.threshold ?? null,
      champion_version: parsed.champion?.version ?? null,
    })
    .execute();
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
