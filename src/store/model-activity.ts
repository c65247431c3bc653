/**
 * One row per model for the dashboard's overview and model list, a page at a time: the
 * declaration's summary, the champion (alias joined to its version), the latest run of its train
 * job for its tenant and the job's next enabled slot. One statement per page, whatever the number
 * of models: the joins and correlated subqueries walk indexes (model_aliases and model_versions by
 * key, runs_history: tenant, job, queued_at; schedules_tenant: tenant, job); the page's latest runs
 * are then read by id.
 */
import type { Executor } from './db.ts';
import type { RunRow } from './runs.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export interface ModelActivityRow {
  tenantId: string;
  model: string;
  jobId: string;
  /** The declaration, as stored (JSON). */
  spec: string;
  champion: { version: number; name: string; metrics: string; createdAt: number } | null;
  lastRun: RunRow | null;
  nextSlotAt: number | null;
}

export interface ModelPage {
  /** After this (tenant, model), in that order. */
  after?: { tenantId: string; model: string };
  limit: number;
}

export async function modelActivity(x: Executor, scope: TenantScope, page: ModelPage): Promise<ModelActivityRow[]> {
  // The scope narrows the declarations before the joins (its filter names tenant_id unqualified).
  let q = x
    .selectFrom(inScope(x.selectFrom('model_definitions').selectAll(), scope).as('md'))
    .leftJoin('model_aliases as a', (j) => j.onRef('a.tenant_id', '=', 'md.tenant_id').onRef('a.model_name', '=', 'md.name').on('a.alias', '=', 'champion'))
    .leftJoin('model_versions as v', (j) => j.onRef('v.tenant_id', '=', 'a.tenant_id').onRef('v.model_name', '=', 'a.model_name').onRef('v.version', '=', 'a.version'))
    .select((eb) => [
      'md.tenant_id',
      'md.name',
      'md.job_id',
      'md.spec',
      'v.version',
      'v.name as version_name',
      'v.metrics',
      'v.created_at as champion_at',
      eb
        .selectFrom('runs as r')
        .select('r.id')
        .whereRef('r.tenant_id', '=', 'md.tenant_id')
        .whereRef('r.job_id', '=', 'md.job_id')
        .orderBy('r.queued_at', 'desc')
        .orderBy('r.id', 'desc')
        .limit(1)
        .as('last_run_id'),
      eb
        .selectFrom('schedules as s')
        .select((c) => c.fn.min('s.due_at').as('due'))
        .whereRef('s.tenant_id', '=', 'md.tenant_id')
        .whereRef('s.job_id', '=', 'md.job_id')
        .where('s.enabled', '=', 1)
        .where('s.deleted_at', 'is', null)
        .as('next_due'),
    ]);
  const after = page.after;
  if (after) {
    q = q.where((eb) =>
      eb.or([eb('md.tenant_id', '>', after.tenantId), eb.and([eb('md.tenant_id', '=', after.tenantId), eb('md.name', '>', after.model)])]),
    );
  }
  const rows = await q.orderBy('md.tenant_id').orderBy('md.name').limit(page.limit).execute();
  const ids = rows.map((r) => r.last_run_id).filter((id): id is string => typeof id === 'string');
  const runs = new Map<string, RunRow>();
  if (ids.length > 0) for (const run of await x.selectFrom('runs').selectAll().where('id', 'in', ids).execute()) runs.set(run.id, run);
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    model: r.name,
    jobId: r.job_id,
    spec: r.spec,
    champion: r.version == null ? null : { version: Number(r.version), name: r.version_name!, metrics: r.metrics!, createdAt: Number(r.champion_at) },
    lastRun: (r.last_run_id && runs.get(r.last_run_id)) || null,
    nextSlotAt: r.next_due == null ? null : Number(r.next_due),
  }));
}

export async function countModels(x: Executor, scope: TenantScope): Promise<number> {
  const row = await inScope(x.selectFrom('model_definitions').select((eb) => eb.fn.countAll<number>().as('n')), scope).executeTakeFirstOrThrow();
  return Number(row.n);
}
