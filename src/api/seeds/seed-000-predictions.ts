/**
 * Seed 000 (device-intelligence nightly training): `POST /api/predictions/train/schedule` and
 * `GET /api/predictions/train/status`, over the job configured with `role: training`.
 */
import { Type } from 'typebox';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty, activeRun, finishedRuns, IsoOrNull, NumberOrNull, roleSchedule, roleTarget, seconds, SEED_TAGS, seedMetrics, seedStatus, TenantField, type SeedServices } from './role-job.ts';

const Tenant = TenantField('the tenant; optional when only one is declared');

const TrainBody = Type.Object(
  {
    tenantId: Tenant,
    when: Type.Optional(
      Type.String({
        enum: ['now', 'queue'],
        default: 'now',
        description: '"now": immediate training, bypassing the schedule (409 while a run is in flight); "queue": scheduled training, queued behind the run in flight',
      }),
    ),
  },
  { additionalProperties: false },
);

const TrainResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  status: Type.String({ enum: ['queued', 'running'], description: 'the new run: queued until a worker starts it' }),
  run_id: Type.String(),
  when: Type.String(),
  training_mode: Type.String({ description: 'ML_TRAINING_MODE: incremental or full' }),
  estimated_completion: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'median of recent successful durations after its start; null without history' }),
  next_scheduled_run: IsoOrNull,
});

const LastResult = Type.Object({
  run_id: Type.String(),
  status: Type.String({ description: 'success, failed, cancelled, or the outcome it ended early with' }),
  duration_seconds: NumberOrNull,
  metrics: Type.Record(Type.String(), Type.Number()),
  error: Type.Union([Type.String(), Type.Null()]),
});

const StatusResponse = Type.Object({
  status: Type.String({ enum: ['idle', 'running', 'queued'] }),
  is_running: Type.Boolean(),
  enabled: Type.Boolean({ description: "whether the tenant's training schedule is enabled (ML_TRAINING_ENABLED)" }),
  schedule: Type.Union([Type.String(), Type.Null()], { description: 'the cron expression (ML_TRAINING_SCHEDULE); null without a schedule' }),
  training_mode: Type.String(),
  current_run_id: Type.Union([Type.String(), Type.Null()]),
  last_training_time: IsoOrNull,
  last_training_status: Type.Union([Type.String(), Type.Null()]),
  last_training_result: Type.Union([LastResult, Type.Null()]),
  next_run: IsoOrNull,
  estimated_completion: IsoOrNull,
});

export function predictionRoutes(app: Api, services: SeedServices): void {
  app.post(
    '/api/predictions/train/schedule',
    {
      schema: {
        operationId: 'seed000TriggerTraining',
        tags: SEED_TAGS,
        summary: 'Seed 000: trigger training now, or queue it behind the run in flight',
        body: TrainBody,
        response: { 200: described(TrainResponse, 'Triggered (or queued): the new run, its estimated completion and the next scheduled run'), ...errors(400, 404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const body = request.body;
      const when = (body.when ?? 'now') as 'now' | 'queue';
      const target = await roleTarget(services, 'training', body.tenantId, 'tenantId');
      const run = await services.runs.trigger(target.job.id, target.tenantId, { mode: when });
      return {
        success: true,
        message: when === 'now' ? 'Training triggered' : 'Training queued',
        status: run.status,
        run_id: run.id,
        when,
        training_mode: services.settings.training.mode,
        estimated_completion: iso(run.eta),
        next_scheduled_run: iso(await services.schedules.nextDueAt(target.tenantId, target.job.id)),
      };
    },
  );

  app.get(
    '/api/predictions/train/status',
    {
      schema: {
        operationId: 'seed000TrainingStatus',
        tags: SEED_TAGS,
        summary: 'Seed 000: training scheduler status, last training time and result, next run, estimated completion',
        querystring: Type.Object({ tenantId: Tenant }, { additionalProperties: false }),
        response: { 200: described(StatusResponse, 'The training status: idle, queued or running, the last training and its result, the next run'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const target = await roleTarget(services, 'training', request.query.tenantId, 'tenantId');
      const [current, [last], schedule] = await Promise.all([activeRun(services, target), finishedRuns(services, target, 1), roleSchedule(services, target)]);
      return {
        status: current ? (current.status as 'running' | 'queued') : 'idle',
        is_running: current?.status === 'running',
        enabled: schedule?.enabled === 1,
        schedule: schedule?.cron ?? null,
        training_mode: services.settings.training.mode,
        current_run_id: current?.id ?? null,
        last_training_time: iso(last?.finished_at),
        last_training_status: last ? seedStatus(last) : null,
        last_training_result: last
          ? { run_id: last.id, status: seedStatus(last), duration_seconds: seconds(last.duration_ms), metrics: seedMetrics(last, target.job), error: last.error_message }
          : null,
        next_run: iso(await services.schedules.nextDueAt(target.tenantId, target.job.id)),
        estimated_completion: iso(current?.eta),
      };
    },
  );
}
