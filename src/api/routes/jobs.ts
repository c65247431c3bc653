import { Type } from 'typebox';
import type { JobDefinition } from '../../config/types.ts';
import type { Engine } from '../../engine.ts';
import { notFound } from '../../errors.ts';
import { getJob, listJobs } from '../../store/jobs.ts';
import { latestRun } from '../../store/runs.ts';
import { listSchedules, nextDueAt } from '../../store/schedules.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
import { listTenants } from '../../store/tenants.ts';
import { iso, runDto, scheduleDto } from '../dto.ts';
import { errors, IdParams, Job, TenantQuery } from '../schemas.ts';
import type { Api } from '../types.ts';

async function jobView(engine: Engine, job: JobDefinition, tenantId: string | undefined) {
  const now = engine.clock.now();
  const scope = tenantId ?? ALL_TENANTS;
  const schedules = (await listSchedules(engine.db.k, scope, { jobId: job.id })).map((s) => scheduleDto(s, now));
  const tenants = tenantId ? [tenantId] : (job.tenants ?? (await listTenants(engine.db.k)).map((t) => t.id));
  const latest = (await Promise.all(tenants.map((t) => latestRun(engine.db.k, t, job.id)))).filter((r) => r !== undefined);
  latest.sort((a, b) => b.queued_at - a.queued_at);
  return {
    id: job.id,
    kind: job.kind,
    description: job.description,
    role: job.role,
    tenants: job.tenants ? [...job.tenants] : null,
    timeoutMs: job.timeoutMs,
    retry: { attempts: job.retry.attempts, backoffMs: [...job.retry.backoffMs], jitterRatio: job.retry.jitterRatio },
    after: [...job.after],
    schedules,
    nextRunAt: iso(await nextDueAt(engine.db.k, scope, job.id)),
    lastRun: latest[0] ? runDto(latest[0]) : null,
  };
}

export function jobRoutes(app: Api, engine: Engine): void {
  app.get(
    '/api/jobs',
    { schema: { tags: ['jobs'], summary: 'List jobs with their schedules, next run and last run', querystring: TenantQuery, response: { 200: Type.Object({ jobs: Type.Array(Job) }) } } },
    async (request) => {
      const { tenantId } = request.query;
      const jobs = (await listJobs(engine.db.k)).filter((j) => !tenantId || j.tenants === null || j.tenants.includes(tenantId));
      return { jobs: await Promise.all(jobs.map((j) => jobView(engine, j, tenantId))) };
    },
  );

  app.get(
    '/api/jobs/:id',
    { schema: { tags: ['jobs'], summary: 'One job', params: IdParams, querystring: TenantQuery, response: { 200: Job, ...errors(404) } } },
    async (request) => {
      const job = await getJob(engine.db.k, request.params.id);
      if (!job) throw notFound('job', request.params.id);
      return jobView(engine, job, request.query.tenantId);
    },
  );
}
