/**
 * What the dashboard's overview shows next to each model's champion: the latest run of its train
 * job for its tenant and the job's next enabled slot. One statement for every model of the scope:
 * each figure is a correlated subquery on an index (runs_history: tenant, job, queued_at;
 * schedules_tenant: tenant, job), then the latest runs are read by id in a second statement.
 */
import type { Executor } from './db.ts';
import type { RunRow } from './runs.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export interface ModelActivityRow {
  tenantId: string;
  model: string;
  jobId: string;
  lastRun: RunRow | null;
  nextSlotAt: number | null;
}

export async function modelActivity(x: Executor, scope: TenantScope): Promise<ModelActivityRow[]> {
  const rows = await inScope(x.selectFrom('model_definitions'), scope)
    .select((eb) => [
      'model_definitions.tenant_id',
      'model_definitions.name',
      'model_definitions.job_id',
      eb
        .selectFrom('runs as r')
        .select('r.id')
        .whereRef('r.tenant_id', '=', 'model_definitions.tenant_id')
        .whereRef('r.job_id', '=', 'model_definitions.job_id')
        .orderBy('r.queued_at', 'desc')
        .orderBy('r.id', 'desc')
        .limit(1)
        .as('last_run_id'),
      eb
        .selectFrom('schedules as s')
        .select((c) => c.fn.min('s.due_at').as('due'))
        .whereRef('s.tenant_id', '=', 'model_definitions.tenant_id')
        .whereRef('s.job_id', '=', 'model_definitions.job_id')
        .where('s.enabled', '=', 1)
        .where('s.deleted_at', 'is', null)
        .as('next_due'),
    ])
    .orderBy('model_definitions.tenant_id')
    .orderBy('model_definitions.name')
    .execute();
  const ids = rows.map((r) => r.last_run_id).filter((id): id is string => typeof id === 'string');
  const runs = new Map<string, RunRow>();
  for (let i = 0; i < ids.length; i += 500) {
    for (const run of await x.selectFrom('runs').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute()) runs.set(run.id, run);
  }
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    model: r.name,
    jobId: r.job_id,
    lastRun: (r.last_run_id && runs.get(r.last_run_id)) || null,
    nextSlotAt: r.next_due == null ? null : Number(r.next_due),
  }));
}
