/**
 * Seed 001 (daily batch analysis scheduler): `POST /api/analysis/trigger` and
 * `GET /api/analysis/schedule`, over the job configured with `role: analysis`.
 */
import { Type } from 'typebox';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty, activeRuns, finishedRuns, IsoOrNull, NumberOrNull, roleSchedule, roleTarget, seconds, SEED_TAGS, seedMetrics, seedStatus, TenantField, type SeedServices } from './role-job.ts';

/** The seed keeps the last 30 runs; nightshift keeps all, and shows as many. */
const RECENT_JOBS = 30;
const Tenant = TenantField('the tenant; optional when only one is declared');

const TriggerBody = Type.Object({ tenantId: Tenant }, { additionalProperties: false });
const TenantQuery = Type.Object({ tenantId: Tenant }, { additionalProperties: false });

const TriggerResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  status: Type.String({ description: '"running_in_background": the run is queued and starts without blocking the request' }),
  next_scheduled_run: IsoOrNull,
  run_id: Type.String({ description: 'nightshift addition: the run to follow at /api/runs/{id}' }),
});

const RecentJob = Type.Object(
  {
    run_id: Type.String(),
    start_time: Type.String({ format: 'date-time' }),
    end_time: IsoOrNull,
    status: Type.String({ description: 'success, failed, cancelled, or the outcome a run ended early with (no_data, no_patterns …)' }),
    duration_seconds: NumberOrNull,
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: Type.Number(), description: "plus the run's ::metric values (events_count, patterns_detected …)" },
);

const ScheduleResponse = Type.Object({
  schedule: Type.Union([Type.String(), Type.Null()], { description: 'the cron expression; null without a schedule' }),
  next_run: IsoOrNull,
  is_running: Type.Boolean(),
  recent_jobs: Type.Array(RecentJob),
});

export function analysisRoutes(app: Api, services: SeedServices): void {
  app.post(
    '/api/analysis/trigger',
    {
      schema: {
        operationId: 'seed001TriggerAnalysis',
        tags: SEED_TAGS,
        summary: 'Seed 001: run the analysis job now, in the background; 409 while a run is in flight',
        body: TriggerBody,
        response: { 200: described(TriggerResponse, 'Triggered: the run starts in the background'), ...errors(400, 404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const target = await roleTarget(services, 'analysis', request.body.tenantId, 'tenantId');
      const run = await services.runs.trigger(target.job.id, target.tenantId, { mode: 'now' });
      return {
        success: true,
        message: 'Analysis job triggered successfully',
        status: 'running_in_background',
        next_scheduled_run: iso(await services.schedules.nextDueAt(target.tenantId, target.job.id)),
        run_id: run.id,
      };
    },
  );

  app.get(
    '/api/analysis/schedule',
    {
      schema: {
        operationId: 'seed001AnalysisSchedule',
        tags: SEED_TAGS,
        summary: "Seed 001: the analysis job's schedule, next run, whether it is running, and its recent runs with their metrics",
        querystring: TenantQuery,
        response: { 200: described(ScheduleResponse, 'The schedule, the next run, whether one is running, and the recent runs with their metrics'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const target = await roleTarget(services, 'analysis', request.query.tenantId, 'tenantId');
      const [schedule, active, recent] = await Promise.all([roleSchedule(services, target), activeRuns(services, target), finishedRuns(services, target, RECENT_JOBS)]);
      return {
        schedule: schedule?.cron ?? null,
        next_run: iso(await services.schedules.nextDueAt(target.tenantId, target.job.id)),
        is_running: active.some((r) => r.status === 'running'),
        recent_jobs: recent.map((run) => ({
          ...seedMetrics(run, target.job),
          run_id: run.id,
          start_time: iso(run.started_at ?? run.queued_at),
          end_time: iso(run.finished_at),
          status: seedStatus(run),
          duration_seconds: seconds(run.duration_ms),
          ...(run.error_message ? { error: run.error_message } : {}),
        })),
      };
    },
  );
}
