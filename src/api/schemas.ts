/**
 * Route schemas: the single source of request validation, of handler types (TypeBox provider) and
 * of the OpenAPI document. Request objects reject unknown fields.
 */
import { Type, type Static } from 'typebox';
import { ALL_STATUSES, RUN_TRIGGERS } from '../runs/states.ts';
import { RUN_SORT_FIELDS } from '../store/runs.ts';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$', description: 'lowercase id: letters, digits, _ . -' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const IsoTime = Type.String({ format: 'date-time' });
const Duration = Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Integer({ minimum: 0 })], {
  description: 'a duration such as "90s", "30m", "6h", "1d", or milliseconds',
});

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'stable NS_… code, see docs/errors.md' }),
    message: Type.String(),
    field: Nullable(Type.String()),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  }),
});

export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ErrorResponse]));

export const Run = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  jobId: Type.String(),
  scheduleId: Nullable(Type.String()),
  slotAt: Nullable(IsoTime),
  trigger: Type.String({ enum: [...RUN_TRIGGERS] }),
  status: Type.String({ enum: [...ALL_STATUSES] }),
  attempt: Type.Integer({ description: 'executions started, whatever ended them (numbers the attempts history)' }),
  maxAttempts: Type.Integer({ description: "executions the job's own results may use: attempt − recoveries − interruptions" }),
  recoveries: Type.Integer({ description: 'executions whose worker was lost (lease expired); they spend no attempt, and past NIGHTSHIFT_MAX_RECOVERIES the run fails' }),
  interruptions: Type.Integer({ description: 'executions a graceful shutdown put back; they spend no attempt' }),
  queuedAt: IsoTime,
  runAt: IsoTime,
  startedAt: Nullable(IsoTime),
  finishedAt: Nullable(IsoTime),
  durationMs: Nullable(Type.Integer()),
  lateMs: Nullable(Type.Integer()),
  eta: Nullable(IsoTime),
  exitCode: Nullable(Type.Integer()),
  exitSignal: Nullable(Type.String()),
  outcome: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  error: Nullable(Type.Object({ code: Type.String(), message: Nullable(Type.String()), context: Nullable(Type.Object({}, { additionalProperties: true })) })),
  metrics: Type.Record(Type.String(), Type.Number()),
  parentRunId: Nullable(Type.String()),
});

export const RunDetail = Type.Intersect([
  Run,
  Type.Object({
    steps: Type.Array(Type.Object({}, { additionalProperties: true })),
    logTail: Type.String(),
    params: Nullable(Type.Object({}, { additionalProperties: true })),
    attempts: Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        status: Type.String(),
        worker: Type.String(),
        startedAt: IsoTime,
        finishedAt: Nullable(IsoTime),
        durationMs: Nullable(Type.Integer()),
        exitCode: Nullable(Type.Integer()),
        error: Nullable(Type.String()),
      }),
    ),
    stages: Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        stage: Type.String({ description: 'load, features, decide, train, evaluate, gate, register or promote' }),
        startedAt: IsoTime,
        endedAt: IsoTime,
        durationMs: Type.Integer(),
        counts: Type.Record(Type.String(), Type.Number()),
        note: Nullable(Type.String()),
      }),
      { description: "a training's stages, attempt by attempt (empty for other jobs)" },
    ),
    result: Nullable(Type.Object({}, { additionalProperties: true, description: "a training's typed result: outcome, trainer, mode, version, gate, metrics" })),
  }),
]);

export const RunList = Type.Object({ runs: Type.Array(Run), nextCursor: Nullable(Type.String()) });

export const RunQuery = Type.Object(
  {
    jobId: Type.Optional(Id),
    tenantId: Type.Optional(Id),
    status: Type.Optional(Type.String({ description: `comma-separated: ${ALL_STATUSES.join(',')}` })),
    trigger: Type.Optional(Type.String({ enum: [...RUN_TRIGGERS] })),
    from: Type.Optional(IsoTime),
    to: Type.Optional(IsoTime),
    sort: Type.Optional(Type.String({ enum: [...RUN_SORT_FIELDS] })),
    order: Type.Optional(Type.String({ enum: ['asc', 'desc'] })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type RunQueryT = Static<typeof RunQuery>;

export const TriggerBody = Type.Object(
  {
    tenantId: Type.Optional(Id),
    mode: Type.Optional(Type.String({ enum: ['now', 'queue'], default: 'now' })),
    at: Type.Optional(IsoTime),
    params: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: false },
);
export type TriggerBodyT = Static<typeof TriggerBody>;

export const TriggerResponse = Type.Object({
  runId: Type.String(),
  status: Type.String(),
  eta: Nullable(IsoTime),
  nextScheduledRun: Nullable(IsoTime),
  run: Run,
});

export const Schedule = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  jobId: Type.String(),
  cron: Nullable(Type.String()),
  everyMs: Nullable(Type.Integer()),
  timezone: Type.String(),
  enabled: Type.Boolean(),
  jitterMs: Type.Integer(),
  misfireGraceMs: Type.Integer(),
  catchUp: Type.String(),
  catchUpMax: Type.Integer(),
  overlap: Type.String(),
  description: Type.String(),
  nextSlotAt: Nullable(IsoTime),
  nextRuns: Type.Array(IsoTime, { description: 'the next 5 fire times (UTC instants)' }),
  nextRunsLocal: Type.Array(Type.String(), { description: "the same 5 fire times in the schedule's zone, with its offset (e.g. 2026-03-08T03:00:00-04:00)" }),
  updatedAt: IsoTime,
});

export const ScheduleBody = Type.Object(
  {
    tenantId: Type.Optional(Id),
    jobId: Id,
    cron: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    every: Type.Optional(Duration),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    enabled: Type.Optional(Type.Boolean()),
    jitter: Type.Optional(Duration),
    misfireGrace: Type.Optional(Duration),
    catchUp: Type.Optional(Type.String({ enum: ['latest', 'skip', 'all'] })),
    catchUpMax: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    overlap: Type.Optional(Type.String({ enum: ['skip', 'queue_one'] })),
  },
  { additionalProperties: false },
);
export type ScheduleBodyT = Static<typeof ScheduleBody>;

export const Tenant = Type.Object({ id: Type.String(), name: Type.String(), timezone: Type.String(), createdAt: IsoTime });
export const TenantBody = Type.Object(
  { id: Id, name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
);
export type TenantBodyT = Static<typeof TenantBody>;

export const Job = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  role: Nullable(Type.String()),
  tenants: Nullable(Type.Array(Type.String())),
  timeoutMs: Type.Integer(),
  retry: Type.Object({ attempts: Type.Integer(), backoffMs: Type.Array(Type.Integer()), jitterRatio: Type.Number() }),
  after: Type.Array(Type.String()),
  schedules: Type.Array(Schedule),
  nextRunAt: Nullable(IsoTime),
  lastRun: Nullable(Run),
});

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
/** Path ids of resources the client names itself (schedules): the same rule as ids in bodies. */
export const OwnIdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const TenantQuery = Type.Object({ tenantId: Type.Optional(Id) }, { additionalProperties: false });
