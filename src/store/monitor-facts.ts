/**
 * What a monitor pass reads, in a fixed number of statements however many models exist: per
 * declared model its training figures, champion, latest live point and latest drift verdict (one
 * statement of correlated index seeks), the runs that may be stuck (one), and the alerts not yet
 * resolved or resolved within the cooldown (one).
 */
import { sql } from 'kysely';
import { dialectOf } from './bulk-statements.ts';
import type { Executor } from './db.ts';
import { ALL_TENANTS, inScope, type TenantScope } from './tenant-scope.ts';

export interface ModelFacts {
  tenantId: string;
  model: string;
  jobId: string;
  /** The declaration as stored (JSON): its task, primary metric, retrain policy and alert thresholds; null unless asked for. */
  spec: string | null;
  /** When the declaration last changed (a reader caching specs reads again only those that changed). */
  updatedAt: number;
  /** Trainings (succeeded, failed, timed out) ended at or after the window's start, and the failed ones among them. */
  ended: number;
  failed: number;
  /** Failed trainings since the last one that succeeded. */
  streak: number;
  lastStatus: string | null;
  lastOutcome: string | null;
  lastFinishedAt: number | null;
  championVersion: number | null;
  championCreatedAt: number | null;
  live: { at: number; version: number; metric: string; value: number; accuracy: number | null; labelled: number; trend: string; slope: number | null } | null;
  drift: { at: number; verdict: string; value: number | null; threshold: number | null; championVersion: number | null } | null;
}

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function modelFacts(x: Executor, scope: TenantScope, windowStart: number, withSpec = true): Promise<ModelFacts[]> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const runsOf = sql`r.tenant_id = d.tenant_id and r.job_id = d.job_id`;
  const latestRun = sql`(select r.id from runs r where ${runsOf} and r.finished_at is not null and r.status in ('succeeded', 'failed', 'timed_out', 'cancelled') order by r.finished_at desc, r.id desc limit 1)`;
  // Specs are a few KB each: a pass over 10,000 models that reads them all spends more on them than on every other figure.
  const query = sql<Record<string, unknown>>`
    select d.tenant_id, d.name, d.job_id, d.updated_at, ${withSpec ? sql`d.spec` : sql`null`} as spec,
      (select count(*) || ':' || coalesce(sum(case when r.status = 'succeeded' then 0 else 1 end), 0) from runs r
        where ${runsOf} and r.finished_at >= ${windowStart} and r.status in ('succeeded', 'failed', 'timed_out')) as window_counts,
      (select count(*) from runs r where ${runsOf} and r.status in ('failed', 'timed_out') and r.finished_at > coalesce(
        (select max(s.finished_at) from runs s where s.tenant_id = d.tenant_id and s.job_id = d.job_id and s.status = 'succeeded'), -1)) as streak,
      lr.status as last_status, lr.outcome as last_outcome, lr.finished_at as last_finished_at,
      a.version as champion_version, v.created_at as champion_created_at,
      p.at as live_at, p.version as live_version, p.metric as live_metric, p.value as live_value, p.accuracy as live_accuracy,
      p.labelled as live_labelled, p.trend as live_trend, p.slope as live_slope,
      s.at as drift_at, s.drift_verdict, s.drift_value, s.drift_threshold, s.champion_version as drift_champion
    from model_definitions d
    left join runs lr on lr.id = ${latestRun}
    left join model_aliases a on a.tenant_id = d.tenant_id and a.model_name = d.name and a.alias = 'champion'
    left join model_versions v on v.tenant_id = d.tenant_id and v.model_name = d.name and v.version = a.version
    left join model_live_points p on p.tenant_id = d.tenant_id and p.model_name = d.name
      and p.at = (select max(q.at) from model_live_points q where q.tenant_id = d.tenant_id and q.model_name = d.name)
    left join assessments s on s.id = (select b.id from assessments b where b.tenant_id = d.tenant_id and b.model_name = d.name
      and b.drift_verdict is not null order by b.at desc, b.id desc limit 1)
    ${tenant === null ? sql`` : sql`where d.tenant_id = ${tenant}`}
    order by d.tenant_id, d.name`;
  // PostgreSQL would JIT-compile this plan (its cost is past jit_above_cost): that takes longer than running it.
  const { rows } = dialectOf(x) === 'postgres' ? await x.transaction().execute(async (tx) => {
    await sql`set local jit = off`.execute(tx);
    return query.execute(tx);
  }) : await query.execute(x);
  return rows.map((r) => ({
    tenantId: r.tenant_id as string,
    model: r.name as string,
    jobId: r.job_id as string,
    spec: (r.spec as string | null) ?? null,
    updatedAt: Number(r.updated_at),
    ...windowCounts(r.window_counts),
    streak: Number(r.streak),
    lastStatus: (r.last_status as string | null) ?? null,
    lastOutcome: (r.last_outcome as string | null) ?? null,
    lastFinishedAt: n(r.last_finished_at),
    championVersion: n(r.champion_version),
    championCreatedAt: n(r.champion_created_at),
    live:
      r.live_at === null || r.live_at === undefined
        ? null
        : {
            at: Number(r.live_at),
            version: Number(r.live_version),
            metric: r.live_metric as string,
            value: Number(r.live_value),
            accuracy: n(r.live_accuracy),
            labelled: Number(r.live_labelled),
            trend: r.live_trend as string,
            slope: n(r.live_slope),
          },
    drift:
      r.drift_at === null || r.drift_at === undefined
        ? null
        : { at: Number(r.drift_at), verdict: r.drift_verdict as string, value: n(r.drift_value), threshold: n(r.drift_threshold), championVersion: n(r.drift_champion) },
  }));
}

/** `ended:failed` of the window: both counts from one index range per model. */
function windowCounts(v: unknown): { ended: number; failed: number } {
  const [ended, failed] = String(v ?? '0:0').split(':');
  return { ended: Number(ended), failed: Number(failed ?? 0) };
}

export interface ActiveRunFacts {
  tenantId: string;
  jobId: string;
  runId: string;
  status: string;
  startedAt: number | null;
  recoveries: number;
}

/** Runs executing now, and queued runs that lost their worker at least `recoveries` times (requeued). */
export async function activeRunFacts(x: Executor, scope: TenantScope, recoveries: number): Promise<ActiveRunFacts[]> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const { rows } = await sql<Record<string, unknown>>`
    select tenant_id, job_id, id, status, started_at, recoveries from runs
    where (status = 'running' or (status = 'queued' and recoveries >= ${recoveries}))
    ${tenant === null ? sql`` : sql`and tenant_id = ${tenant}`}`.execute(x);
  return rows.map((r) => ({
    tenantId: r.tenant_id as string,
    jobId: r.job_id as string,
    runId: r.id as string,
    status: r.status as string,
    startedAt: n(r.started_at),
    recoveries: Number(r.recoveries),
  }));
}

/** The stored declarations (JSON) of the scope, or of the given models only. */
export async function modelSpecs(x: Executor, scope: TenantScope, only?: ReadonlyArray<{ tenantId: string; model: string }>): Promise<Array<{ tenantId: string; model: string; updatedAt: number; spec: string }>> {
  let q = inScope(x.selectFrom('model_definitions').select(['tenant_id', 'name', 'updated_at', 'spec']), scope);
  if (only) {
    if (only.length === 0) return [];
    q = q.where((eb) => eb.or(only.map((k) => eb.and([eb('tenant_id', '=', k.tenantId), eb('name', '=', k.model)]))));
  }
  return (await q.execute()).map((r) => ({ tenantId: r.tenant_id, model: r.name, updatedAt: Number(r.updated_at), spec: r.spec }));
}
