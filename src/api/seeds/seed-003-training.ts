/**
 * Seed 003 (Eagle Notifier training pipeline): the per-organization `/api/training/*` endpoints for
 * the schedule, the history and cancelling, over the organization's training jobs (`role:
 * training`: its declared models and command training jobs). An organization is a nightshift
 * tenant. `modelName` narrows a request to one model; without it the history and cancel cover every
 * model of the organization, and the schedule routes need it when the organization has several.
 */
import { Type, type Static } from 'typebox';
import { isNsError, NsError } from '../../errors.ts';
import { implicitScheduleId } from '../../config/implicit-schedules.ts';
import { cursorOf } from '../../store/runs.ts';
import type { ScheduleRow } from '../../store/schedules.ts';
import { iso, scheduleDto } from '../dto.ts';
import { decodeCursor, encodeCursor } from '../run-cursor.ts';
import { scheduleFromBody } from '../schedule-input.ts';
import { assessmentOfResult } from '../routes/assessments.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty, activeRuns, IsoOrNull, oneTarget, roleSchedule, roleTargets, SEED_TAGS, seedMetrics, someTargets, TenantField, type RoleTarget, type SeedServices } from './role-job.ts';

const Org = TenantField('the organization (a nightshift tenant); optional when only one is declared');
const ModelName = (description: string) => Type.Optional(Type.String({ minLength: 1, maxLength: 200, description }));
const OneModel = ModelName("the organization's model (a declared model, or a command training job's id); required when it has several");
const AnyModel = ModelName("only this model of the organization's; default every one");
const OrgQuery = Type.Object({ organizationId: Org, modelName: OneModel }, { additionalProperties: false });
const OrgBody = Type.Object({ organizationId: Org, modelName: AnyModel }, { additionalProperties: false });

const ScheduleConfigBody = Type.Object(
  {
    organizationId: Org,
    modelName: OneModel,
    pattern: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'cron expression, e.g. "0 2 * * 0"; required when the organization has no schedule yet' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "IANA zone; default the schedule's, else the organization's" })),
    enabled: Type.Optional(Type.Boolean()),
    retryAttempts: Type.Optional(
      Type.Integer({ minimum: 0, description: "retries after the first attempt, as the seed counts them (3: retried 5, 15 and 45 min later); must equal the training job's retry.retries: retries are configured per job" }),
    ),
  },
  { additionalProperties: false },
);
type ScheduleConfigBodyT = Static<typeof ScheduleConfigBody>;

const ScheduleConfig = Type.Object({
  organizationId: Type.String(),
  jobId: Type.String(),
  scheduleId: Type.String(),
  schedule: Type.Object({ pattern: Type.Union([Type.String(), Type.Null()]), timezone: Type.String(), enabled: Type.Boolean() }),
  retryAttempts: Type.Integer({ description: "retries after the first attempt (the job's retry.retries; default 3, as in seed 003: 5, 15 and 45 min later)" }),
  description: Type.String(),
  nextRuns: Type.Array(Type.String({ format: 'date-time' })),
});

const HistoryQuery = Type.Object(
  {
    organizationId: Org,
    modelName: AnyModel,
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'pagination.nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

const HistoryEntry = Type.Object({
  id: Type.String(),
  organizationId: Type.String(),
  jobId: Type.String(),
  status: Type.String({ description: 'queued, running, succeeded, failed, timed_out, cancelled, skipped' }),
  outcome: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'why it ended as it did: no_training_needed for a training its retrain policy found unneeded (status skipped)' }),
  assessment: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], { description: "the retrain decision: every rule's value, threshold and verdict (as seed 002's {status: 'skipped', reason: 'no_training_needed', assessment})" }),
  trigger: Type.String({ description: 'slot (scheduled), manual, dependency, policy (arriving data), startup (a first training at start-up)' }),
  scheduledFor: IsoOrNull,
  queuedAt: Type.String({ format: 'date-time' }),
  startedAt: IsoOrNull,
  completedAt: IsoOrNull,
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  attempt: Type.Integer(),
  maxAttempts: Type.Integer({ description: "the job's own tries allowed: the first attempt and retryAttempts retries" }),
  metrics: Type.Record(Type.String(), Type.Number()),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
});

const HistoryResponse = Type.Object({
  history: Type.Array(HistoryEntry),
  pagination: Type.Object({ limit: Type.Integer(), total: Type.Integer(), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
});

const CancelResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  cancelled: Type.Array(Type.Object({ runId: Type.String(), status: Type.String(), result: Type.String({ enum: ['cancelled', 'requested'] }) })),
});

function configView(services: SeedServices, t: RoleTarget, row: ScheduleRow) {
  const dto = scheduleDto(row, services.clock.now());
  return {
    organizationId: t.tenantId,
    jobId: t.job.id,
    scheduleId: row.id,
    schedule: { pattern: row.cron, timezone: row.timezone, enabled: dto.enabled },
    retryAttempts: t.job.retry.retries,
    description: dto.description,
    nextRuns: dto.nextRuns,
  };
}

/** The seed's body → a schedule definition; fields the seed does not know keep their current values. */
async function definitionFrom(services: SeedServices, t: RoleTarget, current: ScheduleRow | null, body: ScheduleConfigBodyT) {
  const { retries } = t.job.retry;
  if (body.retryAttempts !== undefined && body.retryAttempts !== retries) {
    const configured = `job "${t.job.id}" retries ${retries === 1 ? 'once' : `${retries} times`} after the first attempt (retry.retries in the config file, or TRAINING_RETRY_ATTEMPTS)`;
    throw new NsError('NS_VALIDATION', `retryAttempts=${body.retryAttempts}: retries are configured per job; ${configured}; send ${retries} or leave the field out`, { field: 'retryAttempts' });
  }
  if (body.pattern === undefined && !current) {
    throw new NsError('NS_VALIDATION', `pattern: required: organization "${t.tenantId}" has no training schedule yet`, { field: 'pattern' });
  }
  const timing = body.pattern !== undefined ? { cron: body.pattern } : current!.cron !== null ? { cron: current!.cron } : { every: current!.every_ms ?? undefined };
  const timezone = body.timezone ?? current?.timezone;
  const kept = current
    ? { jitter: current.jitter_ms, misfireGrace: current.misfire_grace_ms, catchUp: current.catch_up, catchUpMax: current.catch_up_max, overlap: current.overlap }
    : {};
  try {
    return await scheduleFromBody(services, current?.id ?? implicitScheduleId(t.tenantId, t.job.id), {
      tenantId: t.tenantId,
      jobId: t.job.id,
      ...timing,
      ...(timezone !== undefined ? { timezone } : {}),
      enabled: body.enabled ?? (current ? current.enabled === 1 : true),
      ...kept,
    });
  } catch (error) {
    // The schedule checks name nightshift's `cron`; the seed's client sent `pattern`.
    if (isNsError(error) && error.field === 'cron') {
      throw new NsError(error.code, error.message.replaceAll(/\bcron(?=[=:])/g, 'pattern'), { field: 'pattern', cause: error });
    }
    throw error;
  }
}

export function trainingRoutes(app: Api, services: SeedServices): void {
  const existing = async (t: RoleTarget) => {
    const row = await roleSchedule(services, t);
    if (!row) throw new NsError('NS_NOT_FOUND', `organization "${t.tenantId}" has no training schedule; POST /api/training/schedule to create one`, { field: 'organizationId', details: { id: t.tenantId } });
    return row;
  };

  app.get(
    '/api/training/schedule',
    {
      schema: {
        operationId: 'seed003GetTrainingSchedule',
        tags: SEED_TAGS,
        summary: "Seed 003: the organization's training schedule",
        querystring: OrgQuery,
        response: { 200: described(ScheduleConfig, 'The training schedule: pattern, zone, enabled, retry attempts, the next runs'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const t = oneTarget(await roleTargets(services, 'training', request.query.organizationId, 'organizationId'), request.query.modelName);
      return configView(services, t, await existing(t));
    },
  );

  app.post(
    '/api/training/schedule',
    {
      schema: {
        operationId: 'seed003PutTrainingSchedule',
        tags: SEED_TAGS,
        summary: "Seed 003: create or update the organization's training schedule (pattern, timezone, enabled)",
        body: ScheduleConfigBody,
        response: { 200: described(ScheduleConfig, 'The schedule existed: as updated'), 201: described(ScheduleConfig, 'The schedule, created'), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      const t = oneTarget(await roleTargets(services, 'training', request.body.organizationId, 'organizationId'), request.body.modelName);
      const def = await definitionFrom(services, t, await roleSchedule(services, t), request.body);
      const { result, schedule } = await services.schedules.upsert(def);
      return reply.status(result === 'created' ? 201 : 200).send(configView(services, t, schedule));
    },
  );

  app.delete(
    '/api/training/schedule',
    {
      schema: {
        operationId: 'seed003DeleteTrainingSchedule',
        tags: SEED_TAGS,
        summary: "Seed 003: cancel (delete) the organization's training schedule; its history stays",
        querystring: OrgQuery,
        response: { 200: described(Type.Object({ success: Type.Boolean(), message: Type.String(), scheduleId: Type.String() }), 'Deleted: the schedule id; its runs stay in the history'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const t = oneTarget(await roleTargets(services, 'training', request.query.organizationId, 'organizationId'), request.query.modelName);
      const row = await existing(t);
      await services.schedules.delete(t.tenantId, row.id);
      return { success: true, message: `Training schedule of organization "${t.tenantId}" cancelled`, scheduleId: row.id };
    },
  );

  app.get(
    '/api/training/history',
    {
      schema: {
        operationId: 'seed003TrainingHistory',
        tags: SEED_TAGS,
        summary: "Seed 003: the organization's training runs, newest first, cursor-paginated",
        querystring: HistoryQuery,
        response: { 200: described(HistoryResponse, 'A page of training runs, newest first, with the total and the next cursor'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const t = someTargets(await roleTargets(services, 'training', q.organizationId, 'organizationId'), q.modelName);
      const limit = q.limit ?? 20;
      const filter = { jobIds: t.jobs.map((j) => j.id) };
      const [runs, counts] = await Promise.all([
        services.runs.list(t.tenantId, { ...filter, sort: 'queued_at', order: 'desc', limit: limit + 1, ...(q.cursor ? { after: decodeCursor(q.cursor, 'queued_at', 'desc') } : {}) }),
        services.runs.countByStatus(t.tenantId, filter),
      ]);
      const page = runs.slice(0, limit);
      return {
        history: page.map((r) => ({
          id: r.id,
          organizationId: r.tenant_id,
          jobId: r.job_id,
          status: r.status,
          outcome: r.outcome,
          reason: r.reason,
          assessment: assessmentOfResult(r.result),
          trigger: r.trigger,
          scheduledFor: iso(r.slot_at),
          queuedAt: iso(r.queued_at),
          startedAt: iso(r.started_at),
          completedAt: iso(r.finished_at),
          durationMs: r.duration_ms,
          attempt: r.attempt,
          maxAttempts: r.max_attempts,
          metrics: seedMetrics(r, t.jobs.find((j) => j.id === r.job_id) ?? t.jobs[0]!),
          error: r.error_code ? { code: r.error_code, message: r.error_message } : null,
        })),
        pagination: {
          limit,
          total: Object.values(counts).reduce((a, b) => a + b, 0),
          nextCursor: runs.length > limit ? encodeCursor('queued_at', 'desc', cursorOf(page.at(-1)!, 'queued_at')) : null,
        },
      };
    },
  );

  app.post(
    '/api/training/cancel',
    {
      schema: {
        operationId: 'seed003CancelTraining',
        tags: SEED_TAGS,
        summary: "Seed 003: cancel the organization's active training (queued runs, then the running one); 404 when none",
        body: OrgBody,
        response: { 200: described(CancelResponse, 'The runs cancelled (queued) or being stopped (running)'), ...errors(400, 404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const t = someTargets(await roleTargets(services, 'training', request.body.organizationId, 'organizationId'), request.body.modelName);
      // Queued first, so none of them starts in the gap the running one leaves.
      const active = (await Promise.all(t.jobs.map((job) => activeRuns(services, { tenantId: t.tenantId, job }))))
        .flat()
        .sort((a, b) => (a.status === b.status ? a.run_at - b.run_at : a.status === 'queued' ? -1 : 1));
      if (active.length === 0) {
        const jobs = t.jobs.map((j) => `"${j.id}"`).join(', ');
        throw new NsError('NS_NOT_FOUND', `organization "${t.tenantId}" has no active training (job${t.jobs.length > 1 ? 's' : ''} ${jobs}: no queued or running run)`, { field: 'organizationId', details: { id: t.tenantId } });
      }
      const cancelled = await services.audit.track(
        (done: Array<{ runId: string; result: string }>) => ({ action: 'training.cancel', tenantId: t.tenantId, target: `tenant/${t.tenantId}`, after: { runs: done.map((c) => ({ runId: c.runId, result: c.result })) } }),
        async () => {
          const out = [];
          for (const run of active) out.push({ runId: run.id, status: run.status, result: await services.runs.cancel(t.tenantId, run.id, 'cancelled via POST /api/training/cancel') });
          return out;
        },
      );
      return { success: true, message: `Cancelled ${cancelled.length} training run(s) of organization "${t.tenantId}"`, cancelled };
    },
  );
}
