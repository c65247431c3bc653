import { Type } from 'typebox';
import type { Services } from '../../services/services.ts';
import { ALL_TENANTS, type TenantScope } from '../../store/tenant-scope.ts';
import { iso, scheduleDto } from '../dto.ts';
import { SLOT_FATE } from '../../runs/states.ts';
import { scheduleFromBody } from '../schedule-input.ts';
import { described, errors, Id, IdParams, OwnIdParams, Schedule, ScheduleBody, TenantQuery } from '../schemas.ts';
import type { Api } from '../types.ts';

const ScheduleListQuery = Type.Object(
  {
    tenantId: Type.Optional(Id),
    jobId: Type.Optional(Id),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'a page of this many, by id (default: every schedule)' })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
    upcoming: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'how many next fire times each schedule lists (default 5); a list that shows fewer asks for fewer, as each is a search in the zone' })),
  },
  { additionalProperties: false },
);
const SlotQuery = Type.Object(
  {
    tenantId: Type.Optional(Id),
    before: Type.Optional(Type.String({ format: 'date-time', description: 'only slots before this instant (pass nextBefore for the next, older page)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
  },
  { additionalProperties: false },
);
const Slot = Type.Object({
  slotAt: Type.String({ format: 'date-time' }),
  fate: Type.String({ enum: Object.values(SLOT_FATE) }),
  reason: Type.Union([Type.String(), Type.Null()], { description: 'why it was skipped or missed' }),
  lateMs: Type.Integer({ description: 'how late it fired (ms)' }),
  runId: Type.Union([Type.String(), Type.Null()]),
  decidedAt: Type.String({ format: 'date-time' }),
  decidedBy: Type.String({ description: 'the node that decided it' }),
});

const ScheduleCreateBody = Type.Object(
  { id: Id, ...ScheduleBody.properties },
  { additionalProperties: false },
);

/**
 * The operator's global view of schedules. An optional tenantId narrows any route to that tenant:
 * another tenant's schedule is then not found, and nothing is changed.
 */
export function scheduleRoutes(app: Api, services: Pick<Services, 'schedules' | 'tenants' | 'settings' | 'clock'>): void {
  const { schedules, clock } = services;
  const show = async (id: string, scope: TenantScope) => scheduleDto(await schedules.get(scope, id), clock.now());

  app.get(
    '/api/schedules',
    {
      schema: {
        operationId: 'listSchedules',
        tags: ['schedules'],
        summary: 'List schedules with descriptions and the next fire times (5, or upcoming; all of them, or a page with limit)',
        querystring: ScheduleListQuery,
        response: {
          200: described(
            Type.Object({ schedules: Type.Array(Schedule), nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'with limit: fetches the next page (null on the last)' }) }),
            'The schedules, filtered by tenant and job when asked',
          ),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const now = clock.now();
      const { tenantId, jobId, limit, cursor, upcoming } = request.query;
      const rows = await schedules.list(tenantId ?? ALL_TENANTS, { ...(jobId ? { jobId } : {}), ...(cursor !== undefined ? { afterId: cursor } : {}), ...(limit !== undefined ? { limit: limit + 1 } : {}) });
      const page = limit !== undefined ? rows.slice(0, limit) : rows;
      return { schedules: page.map((r) => scheduleDto(r, now, upcoming)), nextCursor: limit !== undefined && rows.length > limit ? page.at(-1)!.id : null };
    },
  );

  app.get(
    '/api/schedules/:id',
    { schema: { operationId: 'getSchedule', tags: ['schedules'], summary: 'One schedule', params: IdParams, querystring: TenantQuery, response: { 200: described(Schedule, 'The schedule, with its description and next 5 fire times'), ...errors(400, 404) } } },
    async (request) => show(request.params.id, request.query.tenantId ?? ALL_TENANTS),
  );

  app.get(
    '/api/schedules/:id/slots',
    {
      schema: {
        operationId: 'listScheduleSlots',
        tags: ['schedules'],
        summary: "A schedule's slot fates, newest first: fired, fired late by lateMs, skipped with the reason, missed",
        params: IdParams,
        querystring: SlotQuery,
        response: {
          200: described(Type.Object({ slots: Type.Array(Slot), nextBefore: Type.Union([Type.String(), Type.Null()]) }), 'A page of slots; nextBefore fetches the next, older one (null on the last page)'),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const { tenantId, before, limit = 50 } = request.query;
      const beforeMs = before === undefined ? undefined : Date.parse(before);
      const rows = await schedules.slots(tenantId ?? ALL_TENANTS, request.params.id, { ...(beforeMs !== undefined ? { before: beforeMs } : {}), limit: limit + 1 });
      const page = rows.slice(0, limit);
      return {
        slots: page.map((r) => ({ slotAt: iso(r.slot_at), fate: r.fate, reason: r.reason, lateMs: r.late_ms, runId: r.run_id, decidedAt: iso(r.decided_at), decidedBy: r.decided_by })),
        nextBefore: rows.length > limit ? iso(page.at(-1)!.slot_at) : null,
      };
    },
  );

  const upsert = async (id: string, body: Parameters<typeof scheduleFromBody>[2]) => {
    const def = await scheduleFromBody(services, id, body);
    const { result, schedule } = await schedules.upsert(def);
    return { status: result === 'created' ? (201 as const) : (200 as const), schedule: scheduleDto(schedule, clock.now()) };
  };

  app.put(
    '/api/schedules/:id',
    {
      schema: {
        operationId: 'putSchedule',
        tags: ['schedules'],
        summary: 'Create or update a schedule by id (redeploying the same body changes nothing)',
        params: OwnIdParams,
        body: ScheduleBody,
        response: { 200: described(Schedule, 'The schedule existed: as updated (or unchanged)'), 201: described(Schedule, 'The schedule, created'), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { status, schedule } = await upsert(request.params.id, request.body);
      return reply.status(status).send(schedule);
    },
  );

  app.post(
    '/api/schedules',
    {
      schema: {
        operationId: 'createSchedule',
        tags: ['schedules'],
        summary: 'Create or update a schedule by the id in the body',
        body: ScheduleCreateBody,
        response: { 200: described(Schedule, 'The schedule existed: as updated (or unchanged)'), 201: described(Schedule, 'The schedule, created'), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id, ...body } = request.body as { id: string } & Parameters<typeof scheduleFromBody>[2];
      const { status, schedule } = await upsert(id, body);
      return reply.status(status).send(schedule);
    },
  );

  app.delete(
    '/api/schedules/:id',
    {
      schema: {
        operationId: 'deleteSchedule',
        tags: ['schedules'],
        summary: 'Delete a schedule (its history stays)',
        params: IdParams,
        querystring: TenantQuery,
        response: { 204: described(Type.Null(), 'Deleted; its slots and runs stay in the history'), ...errors(400, 404) },
      },
    },
    async (request, reply) => {
      await schedules.delete(request.query.tenantId ?? ALL_TENANTS, request.params.id);
      return reply.status(204).send(null);
    },
  );

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/api/schedules/:id/${action}`,
      {
        schema: {
          operationId: `${action}Schedule`,
          tags: ['schedules'],
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a schedule`,
          params: IdParams,
          querystring: TenantQuery,
          response: { 200: described(Schedule, enabled ? 'The schedule, enabled: its next slot fires' : 'The schedule, disabled: its slots are recorded as skipped'), ...errors(400, 404) },
        },
      },
      async (request) => {
        const row = await schedules.setEnabled(request.query.tenantId ?? ALL_TENANTS, request.params.id, enabled);
        return scheduleDto(row, clock.now());
      },
    );
  }
}
