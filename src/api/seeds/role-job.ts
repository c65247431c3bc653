/**
 * What the seed adapters share: the tenant and the job a seed endpoint acts on (the job configured
 * with `role: training` or `role: analysis`), that job's in-flight and last finished runs, and the
 * seeds' vocabulary for run statuses and metric names.
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Id } from '../schemas.ts';
import { implicitScheduleId } from '../../config/implicit-schedules.ts';
import type { JobDefinition, JobRole } from '../../config/types.ts';
import { NsError } from '../../errors.ts';
import type { RunView } from '../../services/run-service.ts';
import type { Services } from '../../services/services.ts';
import type { RunRow } from '../../store/runs.ts';
import type { ScheduleRow } from '../../store/schedules.ts';

/** What the seed adapters call. */
export type SeedServices = Pick<Services, 'settings' | 'clock' | 'tenants' | 'schedules' | 'runs' | 'models'>;

export interface RoleTarget {
  tenantId: string;
  job: JobDefinition;
}

/**
 * The tenant named by the seed's own field (`organizationId`, `user_id`, …) or the only tenant, and
 * the configured job with this role that runs for it (the first by id when several do).
 */
export async function roleTarget(s: SeedServices, role: JobRole, given: string | undefined, field: string): Promise<RoleTarget> {
  const tenantId = await s.tenants.resolve(given, field);
  if (!(await s.tenants.exists(tenantId))) throw new NsError('NS_NOT_FOUND', `${field}: tenant "${tenantId}" does not exist`, { field, details: { id: tenantId } });
  const withRole = s.settings.jobs.filter((j) => j.role === role).sort((a, b) => a.id.localeCompare(b.id));
  const job = withRole.find((j) => j.tenants === null || j.tenants.includes(tenantId));
  if (!job) {
    const message = withRole.length
      ? `no job with role "${role}" runs for tenant "${tenantId}" (jobs with that role: ${withRole.map((j) => j.id).join(', ')}); add the tenant to one of their "tenants"`
      : `no job has role "${role}"; declare a job with \`role: ${role}\` in the config file`;
    throw new NsError('NS_NOT_FOUND', message, { field: 'role', details: { role, tenantId } });
  }
  return { tenantId, job };
}

/** Every run of the (tenant, job) that is queued or running. */
export function activeRuns(s: SeedServices, t: RoleTarget): Promise<RunRow[]> {
  return s.runs.active(t.tenantId, t.job.id);
}

/** The (tenant, job)'s run in flight: the running one, else the first queued; with its ETA. */
export async function activeRun(s: SeedServices, t: RoleTarget): Promise<RunView | null> {
  const active = await activeRuns(s, t);
  const pick = active.find((r) => r.status === 'running') ?? [...active].sort((a, b) => a.run_at - b.run_at || a.id.localeCompare(b.id))[0];
  return pick ? s.runs.withEta(pick) : null;
}

/** Executions that ran (or were meant to and failed): a slot skipped for overlap is not one. */
export const EXECUTED_STATUSES = ['succeeded', 'failed', 'timed_out', 'cancelled'] as const;

/** The most recently finished executions of the (tenant, job), newest first. */
export function finishedRuns(s: SeedServices, t: RoleTarget, limit: number): Promise<RunRow[]> {
  return s.runs.list(t.tenantId, { jobId: t.job.id, status: EXECUTED_STATUSES, sort: 'finished_at', order: 'desc', limit });
}

/**
 * The tenant's schedule of the job: the implicit one (`${tenant}.${job}`) when it exists, else the
 * first of the job's schedules for that tenant by id; null when it has none.
 */
export async function roleSchedule(s: SeedServices, t: RoleTarget): Promise<ScheduleRow | null> {
  const rows = await s.schedules.list(t.tenantId, { jobId: t.job.id });
  return rows.find((r) => r.id === implicitScheduleId(t.tenantId, t.job.id)) ?? rows[0] ?? null;
}

/**
 * The seeds' status words: a success is "success", or the named outcome it ended early with (seed
 * 001's "no_data", "no_patterns"); a timeout is a "failed" run; the rest keep nightshift's names.
 */
export function seedStatus(run: Pick<RunRow, 'status' | 'outcome'>): string {
  if (run.status === 'succeeded') return run.outcome ?? 'success';
  if (run.status === 'timed_out') return 'failed';
  return run.status;
}

/**
 * A run's `::metric` values under the names the seeds use. A pipeline prefixes each metric with its
 * step (`detect.patterns_detected`); the prefix is dropped when it is one of the job's step names
 * and no other metric of the run has the same short name (then both keep their full names).
 * Command jobs' metric names are shown as they were printed.
 */
export function seedMetrics(run: Pick<RunRow, 'metrics'>, job: JobDefinition): Record<string, number> {
  const metrics = run.metrics ? (JSON.parse(run.metrics) as Record<string, number>) : {};
  if (job.kind !== 'pipeline') return metrics;
  const steps = new Set(job.steps.map((s) => s.name));
  const short = (name: string) => {
    const dot = name.indexOf('.');
    return dot > 0 && steps.has(name.slice(0, dot)) ? name.slice(dot + 1) : name;
  };
  const counts = new Map<string, number>();
  for (const name of Object.keys(metrics)) counts.set(short(name), (counts.get(short(name)) ?? 0) + 1);
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [counts.get(short(name)) === 1 ? short(name) : name, value]));
}

/** duration_ms → seconds with millisecond precision, as seed 001's `duration_seconds: 75.3`. */
export const seconds = (ms: number | null): number | null => (ms === null ? null : Math.round(ms) / 1000);

/** Schema pieces the seed routes share. */
export const SEED_TAGS = ['seed-compatible'];
export const TenantField = (description: string) => Type.Optional(Type.String({ ...Id, description }));
export const IsoOrNull = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
export const NumberOrNull = Type.Union([Type.Number(), Type.Null()]);

/**
 * Seed clients POST with no body at all (`curl -X POST …`); as a route `preValidation` hook this
 * validates an absent body as `{}`, so the body schema still rejects unknown fields and bad types.
 */
export { absentBodyAsEmpty } from '../validators.ts';
