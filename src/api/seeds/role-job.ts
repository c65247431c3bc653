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
import { isNsError, NsError } from '../../errors.ts';
import type { RunView } from '../../services/run-service.ts';
import type { Services } from '../../services/services.ts';
import type { RunRow } from '../../store/runs.ts';
import type { ScheduleRow } from '../../store/schedules.ts';

/** What the seed adapters call. */
export type SeedServices = Pick<Services, 'settings' | 'clock' | 'tenants' | 'jobs' | 'schedules' | 'runs' | 'models' | 'audit'>;

export interface RoleTarget {
  tenantId: string;
  job: JobDefinition;
}

/** Every job with the role that runs for the tenant, by id; never empty. */
export interface RoleTargets {
  tenantId: string;
  jobs: readonly JobDefinition[];
}

/**
 * The tenant named by the seed's own field (`organizationId`, `user_id`, …) or the only tenant, and
 * every job with this role that runs for it, by id: config jobs with `role:`, and the train jobs of
 * the models declared for the tenant (in the config file or over the API). A tenant with several
 * models has several; each route says what it does with them.
 */
export async function roleTargets(s: SeedServices, role: JobRole, given: string | undefined, field: string): Promise<RoleTargets> {
  const tenantId = await s.tenants.resolve(given, field);
  if (!(await s.tenants.exists(tenantId))) throw new NsError('NS_NOT_FOUND', `${field}: tenant "${tenantId}" does not exist`, { field, details: { id: tenantId } });
  const withRole = (await s.jobs.list()).filter((j) => j.role === role);
  const declared = new Set((await s.models.list(tenantId)).map((m) => m.jobId));
  const jobs = withRole.filter((j) => (j.tenants === null || j.tenants.includes(tenantId)) && (j.kind !== 'train' || declared.has(j.id)));
  if (jobs.length === 0) {
    const message = withRole.length
      ? `no job with role "${role}" runs for tenant "${tenantId}" (jobs with that role: ${withRole.map((j) => j.id).join(', ')}); add the tenant to one of their "tenants"`
      : `no job has role "${role}"; declare a job with \`role: ${role}\` in the config file`;
    throw new NsError('NS_NOT_FOUND', message, { field: 'role', details: { role, tenantId } });
  }
  return { tenantId, jobs: [...jobs].sort((a, b) => a.id.localeCompare(b.id)) };
}

/** The tenant's first job with the role (the analysis routes: one analysis job per tenant). */
export async function roleTarget(s: SeedServices, role: JobRole, given: string | undefined, field: string): Promise<RoleTarget> {
  const t = await roleTargets(s, role, given, field);
  return { tenantId: t.tenantId, job: t.jobs[0]! };
}

/** How a training job is named to seed clients: its model's name, or the job id of a command job. */
export const modelNameOf = (job: JobDefinition): string => (job.kind === 'train' ? job.model : job.id);

const listed = (t: RoleTargets) => t.jobs.map((j) => `"${modelNameOf(j)}"`).join(', ');

/**
 * The one job a request is about: the model it names (`modelName`: a declared model, or a command
 * training job's id), else the tenant's only one. A name the tenant does not have is 404 listing
 * its models; several models and no name is 400 asking for one. Never silently the first.
 */
export function oneTarget(t: RoleTargets, named: string | undefined, field = 'modelName'): RoleTarget {
  if (named !== undefined) {
    const job = t.jobs.find((j) => modelNameOf(j) === named);
    if (!job) throw new NsError('NS_NOT_FOUND', `${field}: tenant "${t.tenantId}" has no model "${named}"; its models: ${listed(t)}`, { field, details: { tenantId: t.tenantId, model: named, models: t.jobs.map(modelNameOf) } });
    return { tenantId: t.tenantId, job };
  }
  if (t.jobs.length > 1) {
    throw new NsError('NS_VALIDATION', `${field}: tenant "${t.tenantId}" has ${t.jobs.length} models (${listed(t)}); name one with ${field}`, { field, details: { tenantId: t.tenantId, models: t.jobs.map(modelNameOf) } });
  }
  return { tenantId: t.tenantId, job: t.jobs[0]! };
}

/** The jobs a request acts on: the named model's only, else every one of the tenant's. */
export function someTargets(t: RoleTargets, named: string | undefined, field = 'modelName'): RoleTargets {
  return named === undefined ? t : { tenantId: t.tenantId, jobs: [oneTarget(t, named, field).job] };
}

/**
 * Queues a run of the job behind the one in flight (seed 000's "add to queue"): a run already
 * waiting is the answer (it has not started, so it trains on the same data a new one would).
 */
export async function queueRun(s: SeedServices, t: RoleTarget, params?: Record<string, unknown>): Promise<{ run: RunView; queuedNow: boolean }> {
  try {
    return { run: await s.runs.trigger(t.job.id, t.tenantId, { mode: 'queue', ...(params ? { params } : {}) }), queuedNow: true };
  } catch (error) {
    const waiting = isNsError(error) && error.code === 'NS_CONFLICT' ? (error.details as { runId?: unknown; status?: unknown } | undefined) : undefined;
    if (waiting?.status !== 'queued' || typeof waiting.runId !== 'string') throw error;
    return { run: await s.runs.get(t.tenantId, waiting.runId), queuedNow: false };
  }
}

/**
 * Seed 000's "immediate training": refused (409 naming the run) when any of the jobs has a run in
 * flight, before any is queued; then a run of each.
 */
export async function triggerNow(s: SeedServices, t: RoleTargets, params?: Record<string, unknown>): Promise<RunView[]> {
  for (const job of t.jobs) {
    const active = await s.runs.active(t.tenantId, job.id);
    const inFlight = active.find((r) => r.status === 'running') ?? active[0];
    if (inFlight) {
      throw new NsError('NS_CONFLICT', `model "${modelNameOf(job)}" (job "${job.id}") already has run ${inFlight.id} ${inFlight.status} for tenant "${t.tenantId}"; queue behind it instead`, {
        field: 'jobId',
        details: { runId: inFlight.id, status: inFlight.status },
      });
    }
  }
  const runs: RunView[] = [];
  for (const job of t.jobs) runs.push(await s.runs.trigger(job.id, t.tenantId, { mode: 'now', ...(params ? { params } : {}) }));
  return runs;
}

/** One entry per run a trigger answered with (nightshift addition: every model's run, not only the first). */
export const RunsQueued = Type.Array(
  Type.Object({ job_id: Type.String(), model: Type.String(), run_id: Type.String(), status: Type.String(), queued_at: Type.String({ format: 'date-time' }) }),
  { description: "every run queued: one per model of the tenant (or the named model's)" },
);

export const runsQueuedDto = (t: RoleTargets, runs: readonly RunView[]) =>
  runs.map((r) => ({ job_id: r.job_id, model: modelNameOf(t.jobs.find((j) => j.id === r.job_id)!), run_id: r.id, status: r.status, queued_at: new Date(r.queued_at).toISOString() }));

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
