/**
 * Seed 000 (device-intelligence nightly training): `POST /api/predictions/train/schedule` and
 * `GET /api/predictions/train/status`, over the tenant's training jobs (`role: training`: its
 * declared models and command training jobs). A tenant with several models trains them all, and
 * its status covers them all, model by model.
 */
import { Type } from 'typebox';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import type { RunView } from '../../services/run-service.ts';
import {
  absentBodyAsEmpty,
  activeRun,
  finishedRuns,
  IsoOrNull,
  modelNameOf,
  NumberOrNull,
  queueRun,
  roleSchedule,
  roleTargets,
  RunsQueued,
  runsQueuedDto,
  seconds,
  SEED_TAGS,
  seedMetrics,
  seedStatus,
  TenantField,
  triggerNow,
  type RoleTarget,
  type SeedServices,
} from './role-job.ts';

const Tenant = TenantField('the tenant; optional when only one is declared');

const TrainBody = Type.Object(
  {
    tenantId: Tenant,
    when: Type.Optional(
      Type.String({
        enum: ['now', 'queue'],
        default: 'now',
        description: '"now": immediate training of every model of the tenant, bypassing the schedule (409 while one of them has a run in flight); "queue": scheduled training, queued behind the run in flight (a run already waiting is the answer)',
      }),
    ),
  },
  { additionalProperties: false },
);

const TrainResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  status: Type.String({ enum: ['queued', 'running'], description: 'the (first) run: queued until a worker starts it' }),
  run_id: Type.String({ description: 'the first run; `runs` lists every one' }),
  when: Type.String(),
  training_mode: Type.String({ description: 'ML_TRAINING_MODE: incremental or full' }),
  estimated_completion: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'median of recent successful durations after its start; null without history' }),
  next_scheduled_run: IsoOrNull,
  runs: RunsQueued,
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
  models: Type.Array(
    Type.Object({
      job_id: Type.String(),
      model: Type.String(),
      status: Type.String({ enum: ['idle', 'running', 'queued'] }),
      current_run_id: Type.Union([Type.String(), Type.Null()]),
      last_training_time: IsoOrNull,
      last_training_status: Type.Union([Type.String(), Type.Null()]),
      next_run: IsoOrNull,
    }),
    { description: 'nightshift addition: each training model of the tenant; the fields above cover them all (running if one runs, the latest result, the soonest next run)' },
  ),
});

/** One training job's state, for the status of all of them. */
async function jobStatus(services: SeedServices, t: RoleTarget) {
  const [current, [last], schedule, next] = await Promise.all([
    activeRun(services, t),
    finishedRuns(services, t, 1),
    roleSchedule(services, t),
    services.schedules.nextDueAt(t.tenantId, t.job.id),
  ]);
  return { t, current, last, schedule, next };
}

const RANK = { running: 0, queued: 1 } as Record<string, number>;
const byRank = (a: RunView, b: RunView) => (RANK[a.status] ?? 2) - (RANK[b.status] ?? 2) || a.run_at - b.run_at || a.id.localeCompare(b.id);

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
      const targets = await roleTargets(services, 'training', body.tenantId, 'tenantId');
      const runs = await services.audit.track(
        (done: RunView[]) => ({ action: 'training.trigger', tenantId: targets.tenantId, target: `tenant/${targets.tenantId}`, after: { when, runs: done.map((r) => r.id) } }),
        async () => (when === 'now' ? triggerNow(services, targets) : Promise.all(targets.jobs.map(async (job) => (await queueRun(services, { tenantId: targets.tenantId, job })).run))),
      );
      const first = runs[0]!;
      const nexts = await Promise.all(targets.jobs.map((j) => services.schedules.nextDueAt(targets.tenantId, j.id)));
      const many = runs.length > 1 ? ` (${runs.length} models: ${targets.jobs.map(modelNameOf).join(', ')})` : '';
      return {
        success: true,
        message: `${when === 'now' ? 'Training triggered' : 'Training queued'}${many}`,
        status: first.status,
        run_id: first.id,
        when,
        training_mode: services.settings.training.mode,
        estimated_completion: iso(latest(runs.map((r) => r.eta))),
        next_scheduled_run: iso(earliest(nexts)),
        runs: runsQueuedDto(targets, runs),
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
      const targets = await roleTargets(services, 'training', request.query.tenantId, 'tenantId');
      const states = await Promise.all(targets.jobs.map((job) => jobStatus(services, { tenantId: targets.tenantId, job })));
      const current = states.flatMap((s) => (s.current ? [s.current] : [])).sort(byRank)[0] ?? null;
      const lastOf = states.filter((s) => s.last).sort((a, b) => (b.last!.finished_at ?? 0) - (a.last!.finished_at ?? 0))[0];
      const last = lastOf?.last;
      // The schedule shown is the one that fires next (the same ML_TRAINING_SCHEDULE for every model, unless changed).
      const soonest = [...states].sort((a, b) => (a.next ?? Infinity) - (b.next ?? Infinity))[0]!;
      return {
        status: current ? (current.status as 'running' | 'queued') : 'idle',
        is_running: current?.status === 'running',
        enabled: states.some((s) => s.schedule?.enabled === 1),
        schedule: soonest.schedule?.cron ?? null,
        training_mode: services.settings.training.mode,
        current_run_id: current?.id ?? null,
        last_training_time: iso(last?.finished_at),
        last_training_status: last ? seedStatus(last) : null,
        last_training_result: last
          ? { run_id: last.id, status: seedStatus(last), duration_seconds: seconds(last.duration_ms), metrics: seedMetrics(last, lastOf.t.job), error: last.error_message }
          : null,
        next_run: iso(earliest(states.map((s) => s.next))),
        estimated_completion: iso(current?.eta),
        models: states.map((s) => ({
          job_id: s.t.job.id,
          model: modelNameOf(s.t.job),
          status: s.current ? (s.current.status as 'running' | 'queued') : ('idle' as const),
          current_run_id: s.current?.id ?? null,
          last_training_time: iso(s.last?.finished_at),
          last_training_status: s.last ? seedStatus(s.last) : null,
          next_run: iso(s.next),
        })),
      };
    },
  );
}

const earliest = (times: ReadonlyArray<number | null | undefined>): number | null => {
  const known = times.filter((t): t is number => typeof t === 'number');
  return known.length ? Math.min(...known) : null;
};

/** The last of the ETAs (every run done), or null when one of them has none. */
const latest = (times: ReadonlyArray<number | null | undefined>): number | null => {
  if (times.some((t) => typeof t !== 'number')) return null;
  return Math.max(...(times as number[]));
};
