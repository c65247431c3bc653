/** Figures of model trainings (runs of the models' train jobs) for the metric series and the system view. */
import { sql } from 'kysely';
import type { Executor } from './db.ts';
import { ALL_TENANTS, type TenantScope } from './tenant-scope.ts';

export interface TrainingRunPoint {
  runId: string;
  status: string;
  outcome: string | null;
  finishedAt: number;
  durationMs: number | null;
}

/** The job's latest ended trainings in the tenant, oldest first. */
export async function recentTrainings(x: Executor, tenantId: string, jobId: string, limit: number): Promise<TrainingRunPoint[]> {
  const rows = await x
    .selectFrom('runs')
    .select(['id', 'status', 'outcome', 'finished_at', 'duration_ms'])
    .where('tenant_id', '=', tenantId)
    .where('job_id', '=', jobId)
    .where('finished_at', 'is not', null)
    .where('status', 'in', ['succeeded', 'failed', 'timed_out', 'cancelled'])
    .orderBy('finished_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map((r) => ({ runId: r.id, status: r.status, outcome: r.outcome, finishedAt: Number(r.finished_at), durationMs: r.duration_ms === null ? null : Number(r.duration_ms) }));
}

export interface TrainingStatsRow {
  tenantId: string;
  status: string;
  n: number;
  totalMs: number;
  maxMs: number | null;
}

/** Per tenant and status: trainings of declared models ended at or after `since`, and their durations. */
export async function trainingStats(x: Executor, scope: TenantScope, since: number): Promise<TrainingStatsRow[]> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const { rows } = await sql<Record<string, unknown>>`
    select r.tenant_id, r.status, count(*) as n, coalesce(sum(r.duration_ms), 0) as total_ms, max(r.duration_ms) as max_ms
    from model_definitions d join runs r on r.tenant_id = d.tenant_id and r.job_id = d.job_id
    where r.finished_at >= ${since} and r.status in ('succeeded', 'failed', 'timed_out', 'cancelled')
    ${tenant === null ? sql`` : sql`and d.tenant_id = ${tenant}`}
    group by r.tenant_id, r.status`.execute(x);
  return rows.map((r) => ({ tenantId: r.tenant_id as string, status: r.status as string, n: Number(r.n), totalMs: Number(r.total_ms), maxMs: r.max_ms === null ? null : Number(r.max_ms) }));
}

/** Declared models per tenant. */
export async function modelCounts(x: Executor, scope: TenantScope): Promise<Array<{ tenantId: string; models: number }>> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const { rows } = await sql<Record<string, unknown>>`select tenant_id, count(*) as n from model_definitions ${tenant === null ? sql`` : sql`where tenant_id = ${tenant}`} group by tenant_id`.execute(x);
  return rows.map((r) => ({ tenantId: r.tenant_id as string, models: Number(r.n) }));
}

/** Per declared model: its latest ended training (one statement, an index seek per model). */
export async function lastTrainings(x: Executor, scope: TenantScope): Promise<Array<{ tenantId: string; model: string; status: string | null; outcome: string | null; finishedAt: number | null }>> {
  const tenant = scope === ALL_TENANTS ? null : scope;
  const latest = sql`(select r.id from runs r where r.tenant_id = d.tenant_id and r.job_id = d.job_id and r.finished_at is not null
    and r.status in ('succeeded', 'failed', 'timed_out', 'cancelled') order by r.finished_at desc, r.id desc limit 1)`;
  const { rows } = await sql<Record<string, unknown>>`
    select d.tenant_id, d.name, lr.status, lr.outcome, lr.finished_at from model_definitions d left join runs lr on lr.id = ${latest}
    ${tenant === null ? sql`` : sql`where d.tenant_id = ${tenant}`}`.execute(x);
  return rows.map((r) => ({
    tenantId: r.tenant_id as string,
    model: r.name as string,
    status: (r.status as string | null) ?? null,
    outcome: (r.outcome as string | null) ?? null,
    finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
  }));
}

/** Per declared model with a champion: the champion's gate metrics (JSON) and the latest live point, for the /metrics gauges. */
export async function modelGaugeRows(x: Executor): Promise<Array<{ tenantId: string; model: string; version: number; metrics: string; liveVersion: number | null; liveMetric: string | null; liveValue: number | null; liveAccuracy: number | null }>> {
  const { rows } = await sql<Record<string, unknown>>`
    select d.tenant_id, d.name, a.version, v.metrics, p.version as live_version, p.metric as live_metric, p.value as live_value, p.accuracy as live_accuracy
    from model_definitions d
    join model_aliases a on a.tenant_id = d.tenant_id and a.model_name = d.name and a.alias = 'champion'
    join model_versions v on v.tenant_id = d.tenant_id and v.model_name = d.name and v.version = a.version
    left join model_live_points p on p.tenant_id = d.tenant_id and p.model_name = d.name
      and p.at = (select max(q.at) from model_live_points q where q.tenant_id = d.tenant_id and q.model_name = d.name)`.execute(x);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    tenantId: r.tenant_id as string,
    model: r.name as string,
    version: Number(r.version),
    metrics: r.metrics as string,
    liveVersion: n(r.live_version),
    liveMetric: (r.live_metric as string | null) ?? null,
    liveValue: n(r.live_value),
    liveAccuracy: n(r.live_accuracy),
  }));
}
