/** A stored retrain decision as callers see it. */
import type { Assessment } from '../policy/assess.ts';
import type { AssessmentRow } from '../store/assessments.ts';

export interface StoredAssessment {
  id: string;
  tenantId: string;
  model: string;
  runId: string | null;
  at: number;
  assessment: Assessment;
}

export const storedAssessmentOf = (r: AssessmentRow): StoredAssessment => ({
  id: r.id,
  tenantId: r.tenant_id,
  model: r.model_name,
  runId: r.run_id,
  at: Number(r.at),
  assessment: JSON.parse(r.assessment) as Assessment,
});
