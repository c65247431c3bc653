import { Type } from 'typebox';
import type { Engine } from '../../engine.ts';
import { NsError, notFound } from '../../errors.ts';
import { ALL_STATUSES } from '../../runs/states.ts';
import { getJob } from '../../store/jobs.ts';
import { cursorOf, listAttempts, listRuns, type RunSortField } from '../../store/runs.ts';
import { nextDueAt } from '../../store/schedules.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
import { iso, runDto } from '../dto.ts';
import { decodeCursor, encodeCursor } from '../run-cursor.ts';
import { errors, IdParams, RunDetail, RunList, RunQuery, TenantQuery, TriggerBody, TriggerResponse } from '../schemas.ts';
import { tenantOrDefault } from '../tenant-default.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty } from '../validators.ts';

function parseStatuses(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const list = value.split(',').map((s) => s.trim());
  const bad = list.find((s) => !(ALL_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) throw new NsError('NS_VALIDATION', `status: unknown status "${bad}"; use one or more of ${ALL_STATUSES.join(', ')}`, { field: 'status' });
  return list;
}


export function runRoutes(app: Api, engine: Engine): void {
  app.get(
    '/api/runs',
    { schema: { tags: ['runs'], summary: 'Run history: filters, sort by allow-listed fields (id breaks ties), cursor pagination', querystring: RunQuery, response: { 200: RunList, ...errors(400) } } },
    async (request) => {
      const q = request.query;
      const sort = (q.sort ?? 'queued_at') as RunSortField;
      const order = (q.order ?? 'desc') as 'asc' | 'desc';
      const limit = q.limit ?? 50;
      const status = parseStatuses(q.status);
      const runs = await listRuns(engine.db.k, q.tenantId ?? ALL_TENANTS, {
        ...(q.jobId ? { jobId: q.jobId } : {}),
        ...(status ? { status } : {}),
        ...(q.trigger ? { trigger: q.trigger } : {}),
        ...(q.from ? { from: Date.parse(q.from) } : {}),
        ...(q.to ? { to: Date.parse(q.to) } : {}),
        ...(q.cursor ? { after: decodeCursor(q.cursor, sort, order) } : {}),
        sort,
        order,
        limit: limit + 1,
      });
      const page = runs.slice(0, limit);
      const more = runs.length > limit;
      return { runs: page.map((r) => runDto(r)), nextCursor: more ? encodeCursor(sort, order, cursorOf(page.at(-1)!, sort)) : null };
    },
  );

  app.get('/api/runs/:id', { schema: { tags: ['runs'], summary: 'One run: slot, attempts, step metrics, log tail, ETA', params: IdParams, querystring: TenantQuery, response: { 200: RunDetail, ...errors(404) } } }, async (request) => {
    const run = await engine.getRun(request.params.id, request.query.tenantId ?? ALL_TENANTS);
    const attempts = await listAttempts(engine.db.k, run.tenant_id, run.id);
    return {
      ...runDto(run),
      steps: run.steps ? (JSON.parse(run.steps) as Array<Record<string, unknown>>) : [],
      logTail: run.log_tail ?? '',
      params: run.params ? (JSON.parse(run.params) as Record<string, unknown>) : null,
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        status: a.status,
        worker: a.worker,
        startedAt: iso(a.started_at),
        finishedAt: iso(a.finished_at),
        durationMs: a.duration_ms,
        exitCode: a.exit_code,
        error: a.error_message,
      })),
    };
  });

  app.post(
    '/api/runs/:id/cancel',
    { schema: { tags: ['runs'], summary: 'Cancel a queued run, or stop a running one (SIGTERM, then SIGKILL)', params: IdParams, querystring: TenantQuery, response: { 200: Type.Object({ runId: Type.String(), result: Type.String({ enum: ['cancelled', 'requested'] }) }), ...errors(404, 409) } } },
    async (request) => ({ runId: request.params.id, result: await engine.cancel(request.params.id, undefined, request.query.tenantId ?? ALL_TENANTS) }),
  );

  app.post(
    '/api/jobs/:id/trigger',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Queue a run now; 409 with the running run id when one is in flight (unless mode is "queue")',
        params: IdParams,
        body: TriggerBody,
        response: { 202: TriggerResponse, ...errors(400, 404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request, reply) => {
      const body = request.body;
      const jobId = request.params.id;
      if (!(await getJob(engine.db.k, jobId))) throw notFound('job', jobId);
      const tenantId = await tenantOrDefault(engine, body.tenantId);
      const run = await engine.trigger(jobId, tenantId, {
        mode: (body.mode ?? 'now') as 'now' | 'queue',
        ...(body.at ? { at: Date.parse(body.at) } : {}),
        ...(body.params ? { params: body.params as Record<string, unknown> } : {}),
      });
      return reply.status(202).send({
        runId: run.id,
        status: run.status,
        eta: iso(run.eta),
        nextScheduledRun: iso(await nextDueAt(engine.db.k, tenantId, jobId)),
        run: runDto(run),
      });
    },
  );
}
