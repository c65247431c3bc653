import { Type } from 'typebox';
import { NsError } from '../../errors.ts';
import { INSTANT_RANGE_TEXT, instantInRange } from '../../limits.ts';
import { ALL_STATUSES } from '../../runs/states.ts';
import type { Services } from '../../services/services.ts';
import { cursorOf, type RunSortField } from '../../store/runs.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
import { iso, runDto } from '../dto.ts';
import { plainJson } from '../plain-json.ts';
import { decodeCursor, encodeCursor } from '../run-cursor.ts';
import { described, errors, Id, IdParams, Run, RunDetail, RunList, RunQuery, TenantQuery, TriggerBody, TriggerResponse } from '../schemas.ts';
import type { Api } from '../types.ts';
import { assessmentOfResult } from './assessments.ts';
import { absentBodyAsEmpty } from '../validators.ts';

function parseStatuses(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const list = value.split(',').map((s) => s.trim());
  const bad = list.find((s) => !(ALL_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined) throw new NsError('NS_VALIDATION', `status: unknown status "${bad}"; use one or more of ${ALL_STATUSES.join(', ')}`, { field: 'status' });
  return list;
}

/** A date filter as epoch ms, within the dates nightshift accepts (src/limits.ts). */
function instant(text: string, field: string): number {
  const ms = Date.parse(text);
  if (!instantInRange(ms)) throw new NsError('NS_VALIDATION', `${field}="${text}": must be a date ${INSTANT_RANGE_TEXT}`, { field });
  return ms;
}

/** `from` and `to` as epoch ms; `to` before `from` is refused rather than answered with nothing. */
function dateRange(from: string | undefined, to: string | undefined): { from?: number; to?: number } {
  const range = { ...(from ? { from: instant(from, 'from') } : {}), ...(to ? { to: instant(to, 'to') } : {}) };
  if (range.from !== undefined && range.to !== undefined && range.to < range.from) {
    throw new NsError('NS_VALIDATION', `to="${to}" is before from="${from}"; send a to that is not before from`, { field: 'to' });
  }
  return range;
}

export function runRoutes(app: Api, { runs, jobs, tenants, schedules }: Pick<Services, 'runs' | 'jobs' | 'tenants' | 'schedules'>): void {
  app.get(
    '/api/runs',
    {
      schema: {
        operationId: 'listRuns',
        tags: ['runs'],
        summary: 'Run history: filters, sort by allow-listed fields (id breaks ties), cursor pagination',
        querystring: RunQuery,
        response: { 200: described(RunList, 'A page of runs; nextCursor fetches the next one (null on the last page)'), ...errors(400) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const sort = (q.sort ?? 'queued_at') as RunSortField;
      const order = (q.order ?? 'desc') as 'asc' | 'desc';
      const limit = q.limit ?? 50;
      const status = parseStatuses(q.status);
      const found = await runs.summaries(q.tenantId ?? ALL_TENANTS, {
        ...(q.jobId ? { jobId: q.jobId } : {}),
        ...(status ? { status } : {}),
        ...(q.trigger ? { trigger: q.trigger } : {}),
        ...dateRange(q.from, q.to),
        ...(q.cursor ? { after: decodeCursor(q.cursor, sort, order) } : {}),
        sort,
        order,
        limit: limit + 1,
      });
      const page = found.slice(0, limit);
      const more = found.length > limit;
      // runDto builds exactly the schema's fields: no schema serializer needed (plain-json.ts).
      reply.serializer(plainJson);
      return { runs: page.map((r) => runDto(r)), nextCursor: more ? encodeCursor(sort, order, cursorOf(page.at(-1)!, sort)) : null };
    },
  );

  app.get(
    '/api/runs/active',
    {
      schema: {
        operationId: 'listActiveRuns',
        tags: ['runs'],
        summary: 'What is in flight: running runs, then queued ones in the order they will run, with ETAs (from the queue, not the history)',
        querystring: Type.Object({ tenantId: Type.Optional(Id), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'at most this many of each (default 20)' })) }, { additionalProperties: false }),
        response: { 200: described(Type.Object({ running: Type.Array(Run), queued: Type.Array(Run) }), 'Running and queued runs'), ...errors(400) },
      },
    },
    async (request) => {
      const { running, queued } = await runs.inFlight(request.query.tenantId ?? ALL_TENANTS, request.query.limit ?? 20);
      return { running: running.map((r) => runDto(r)), queued: queued.map((r) => runDto(r)) };
    },
  );

  app.get(
    '/api/runs/:id',
    {
      schema: {
        operationId: 'getRun',
        tags: ['runs'],
        summary: 'One run: slot, attempts, step metrics, log tail (while it runs on the answering node: its output so far), ETA',
        params: IdParams,
        querystring: TenantQuery,
        response: { 200: described(RunDetail, 'The run in full: attempts, pipeline steps, training stages and result, log tail'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const run = await runs.get(request.query.tenantId ?? ALL_TENANTS, request.params.id);
      const [attempts, stages] = await Promise.all([runs.attempts(run.tenant_id, run.id), runs.stages(run.tenant_id, run.id)]);
      return {
        ...runDto(run),
        steps: run.steps ? (JSON.parse(run.steps) as Array<Record<string, unknown>>) : [],
        // While it runs here, the output so far; its stored tail once it has ended.
        logTail: run.log_tail ?? runs.liveTail(run.id) ?? '',
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
        stages: stages.map((s) => ({
          attempt: s.attempt,
          stage: s.stage,
          startedAt: iso(s.started_at),
          endedAt: iso(s.ended_at),
          durationMs: s.duration_ms,
          counts: JSON.parse(s.counts) as Record<string, number>,
          note: s.note,
        })),
        result: run.result ? (JSON.parse(run.result) as Record<string, unknown>) : null,
        assessment: assessmentOfResult(run.result),
      };
    },
  );

  app.post(
    '/api/runs/:id/cancel',
    {
      schema: {
        operationId: 'cancelRun',
        tags: ['runs'],
        summary: 'Cancel a queued run, or stop a running one (SIGTERM, then SIGKILL)',
        params: IdParams,
        querystring: TenantQuery,
        response: {
          200: described(Type.Object({ runId: Type.String(), result: Type.String({ enum: ['cancelled', 'requested'] }) }), '"cancelled": the queued run will not start; "requested": the running one is being stopped'),
          ...errors(400, 404, [409, 'The run has already ended']),
        },
      },
    },
    async (request) => ({ runId: request.params.id, result: await runs.cancel(request.query.tenantId ?? ALL_TENANTS, request.params.id) }),
  );

  app.post(
    '/api/jobs/:id/trigger',
    {
      schema: {
        operationId: 'triggerJob',
        tags: ['jobs'],
        summary: 'Queue a run now; 409 with the running run id when one is in flight (unless mode is "queue")',
        params: IdParams,
        body: TriggerBody,
        response: {
          202: described(TriggerResponse, 'Queued: the run, its ETA and the next scheduled run'),
          ...errors(400, 404, [409, 'A run of the job for the tenant is in flight (`error.details` names it); send mode "queue" to queue behind it']),
        },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request, reply) => {
      const body = request.body;
      const jobId = request.params.id;
      await jobs.require(jobId);
      const tenantId = await tenants.resolve(body.tenantId);
      const run = await runs.trigger(jobId, tenantId, {
        mode: (body.mode ?? 'now') as 'now' | 'queue',
        ...(body.at ? { at: Date.parse(body.at) } : {}),
        ...(body.params ? { params: body.params as Record<string, unknown> } : {}),
      });
      return reply.status(202).send({
        runId: run.id,
        status: run.status,
        eta: iso(run.eta),
        nextScheduledRun: iso(await schedules.nextDueAt(tenantId, jobId)),
        run: runDto(run),
      });
    },
  );
}
