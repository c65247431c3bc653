/**
 * Route schemas: the single source of request validation, of handler types (TypeBox provider) and
 * of the OpenAPI document. Request objects reject unknown fields.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { ID_RULE, ID_RULE_TEXT } from '../ids.ts';
import { ALL_STATUSES, RUN_TRIGGERS } from '../runs/states.ts';
import { RUN_SORT_FIELDS } from '../store/runs.ts';
import { STATUS } from './error-handler.ts';

/** Every id in a path, a query string or a body: one rule (src/ids.ts). */
export const Id = Type.String({ pattern: ID_RULE, description: `an id: ${ID_RULE_TEXT}` });

/**
 * The largest model version number: versions are INTEGER columns, 32 bits on PostgreSQL, so a larger
 * number (which no version can have) is refused as bad input rather than reaching the store.
 */
export const MAX_VERSION = 2_147_483_647;
/** A model version number in a path, a query string or a body. */
export const VersionNumber = Type.Integer({ minimum: 1, maximum: MAX_VERSION });
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

/**
 * A response schema with the description the OpenAPI document shows for it (@fastify/swagger reads
 * `x-response-description` and leaves it out of the schema).
 */
export function described<T extends TSchema>(schema: T, description: string): T {
  return { ...schema, 'x-response-description': description };
}

/** What an error status means on any route; the NS_ codes that answer with it are added. */
const ERROR_MEANING: Record<number, string> = {
  400: 'Invalid request: `error.field` names the field at fault and `error.message` says what to send instead',
  404: 'Not found: a tenant, job, schedule, run, dataset, model or version named by the request does not exist (or belongs to another tenant)',
  409: 'Conflict with the current state (a run already in flight, a version that cannot be champion, a change stored data would not survive); `error.message` says which',
  413: 'The body is larger than this route accepts; send less per request',
  415: 'The body has a content type this route does not accept; `error.message` lists those it does',
  503: 'Unavailable for now (the store, a model that cannot be loaded, or the service shutting down); retry shortly',
};

const codesOf = (status: number) => Object.entries(STATUS).filter(([, s]) => s === status).map(([code]) => code);

/**
 * Error responses by status, each with its meaning and NS_ codes; `[status, text]` says what the
 * status means on this route instead.
 */
export function errors(...statuses: Array<number | readonly [number, string]>): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(
    statuses.map((entry) => {
      const [status, meaning] = typeof entry === 'number' ? [entry, ERROR_MEANING[entry] ?? 'Error'] : entry;
      const codes = codesOf(status);
      return [status, described(ErrorResponse, codes.length ? `${meaning} (${codes.join(', ')})` : meaning)];
    }),
  );
}

/** A route that takes no query parameters refuses them, as every other route refuses unknown ones. */
export const NoQuery = Type.Object({}, { additionalProperties: false });

export const Run = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  jobId: Type.String(),
  scheduleId: Nullable(Type.String()),
  slotAt: Nullable(IsoTime),
  trigger: Type.String({ enum: [...RUN_TRIGGERS] }),
  status: Type.String({ enum: [...ALL_STATUSES] }),
  attempt: Type.Integer({ description: 'executions started, whatever ended them (numbers the attempts history)' }),
  maxAttempts: Type.Integer({ description: "the job's own tries allowed: the first attempt and maxRetries retries. Its tries so far are attempt − recoveries − interruptions" }),
  maxRetries: Type.Integer({ description: "retries after the first attempt the job's transient failures may use (the job's retry.retries when the run was queued)" }),
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
    assessment: Nullable(Type.Object({}, { additionalProperties: true, description: "a training's retrain decision: every rule's value, threshold and verdict (also GET …/models/:m/assessments)" })),
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
export const TenantChangeBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, stored in its canonical spelling' })) },
  { additionalProperties: false },
);

export const Job = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  description: Type.String(),
  role: Nullable(Type.String()),
  tenants: Nullable(Type.Array(Type.String())),
  timeoutMs: Type.Integer(),
  retry: Type.Object({
    retries: Type.Integer({ description: 'retries after the first attempt, for transient failures (exit 75) only; 0 = none' }),
    backoffMs: Type.Array(Type.Integer({ description: 'delay before retry k (the last entry repeats), plus up to jitterRatio of it' })),
    jitterRatio: Type.Number(),
  }),
  after: Type.Array(Type.String()),
  schedules: Type.Array(Schedule),
  nextRunAt: Nullable(IsoTime),
  lastRun: Nullable(Run),
});

/** A path id (tenant, job, schedule, run): the same rule as ids in bodies and query strings. */
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const OwnIdParams = IdParams;
export const TenantQuery = Type.Object({ tenantId: Type.Optional(Id) }, { additionalProperties: false });
