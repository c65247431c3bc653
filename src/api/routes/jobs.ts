import { Type } from 'typebox';
import type { Services } from '../../services/services.ts';
import type { JobView } from '../../services/job-service.ts';
import { iso, runDto, scheduleDto } from '../dto.ts';
import { described, errors, IdParams, Job, TenantQuery } from '../schemas.ts';
import type { Api } from '../types.ts';

function jobDto({ job, schedules, nextRunAt, lastRun }: JobView, now: number) {
  return {
    id: job.id,
    kind: job.kind,
    description: job.description,
    role: job.role,
    tenants: job.tenants ? [...job.tenants] : null,
    timeoutMs: job.timeoutMs,
    retry: { retries: job.retry.retries, backoffMs: [...job.retry.backoffMs], jitterRatio: job.retry.jitterRatio },
    after: [...job.after],
    schedules: schedules.map((s) => scheduleDto(s, now)),
    nextRunAt: iso(nextRunAt),
    lastRun: lastRun ? runDto(lastRun) : null,
  };
}

export function jobRoutes(app: Api, { jobs, clock }: Pick<Services, 'jobs' | 'clock'>): void {
  app.get(
    '/api/jobs',
    {
      schema: {
        operationId: 'listJobs',
        tags: ['jobs'],
        summary: 'List jobs with their schedules, next run and last run',
        querystring: TenantQuery,
        response: { 200: described(Type.Object({ jobs: Type.Array(Job) }), 'Every job (with tenantId: those that run for that tenant, with its schedules and runs only)'), ...errors(400) },
      },
    },
    async (request) => {
      const { tenantId } = request.query;
      const now = clock.now();
      const views = await Promise.all((await jobs.list(tenantId)).map((j) => jobs.view(j, tenantId)));
      return { jobs: views.map((v) => jobDto(v, now)) };
    },
  );

  app.get(
    '/api/jobs/:id',
    { schema: { operationId: 'getJob', tags: ['jobs'], summary: 'One job', params: IdParams, querystring: TenantQuery, response: { 200: described(Job, 'The job, with its schedules, next run and last run'), ...errors(400, 404) } } },
    async (request) => jobDto(await jobs.view(await jobs.require(request.params.id), request.query.tenantId), clock.now()),
  );
}
