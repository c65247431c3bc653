/**
 * Alerts and metric series: the alerts (filtered, paged, newest first) and acknowledging one; a
 * model's series and trends; seed 003's training metrics of a tenant and the system-wide view.
 * Until auth lands, the caller's tenant is `?tenantId` as on the other routes (absent: every tenant
 * for the lists, the only tenant for the training metrics).
 */
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../time-id-cursor.ts';
import { Type } from 'typebox';
import { NsError } from '../../errors.ts';
import type { Alert } from '../../services/monitor-service.ts';
import type { Services } from '../../services/services.ts';
import { ALERT_TYPES } from '../../monitor/alert-rules.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
import { iso } from '../dto.ts';
import { trendDto } from '../live-dto.ts';
import { described, errors, Id } from '../schemas.ts';
import type { Api } from '../types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const ModelParams = Type.Object({ tenantId: Id, model: Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' }) }, { additionalProperties: false });
const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

export const AlertSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  model: Nullable(Type.String()),
  subject: Nullable(Type.String({ description: 'what within the model or tenant it is about: the channel of NOTIFICATION_FAILING' })),
  type: Type.String({ enum: [...ALERT_TYPES] }),
  severity: Type.String({ enum: ['warning', 'critical'] }),
  status: Type.String({ enum: ['open', 'acknowledged', 'resolved'] }),
  message: Type.String(),
  value: Nullable(Type.Number()),
  threshold: Nullable(Type.Number()),
  openedAt: Type.String(),
  acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()),
  resolvedAt: Nullable(Type.String()),
  resolution: Nullable(Type.String({ description: 'cleared: its condition cleared by itself' })),
});

export const alertDto = (a: Alert) => ({
  id: a.id,
  tenantId: a.tenantId,
  model: a.model,
  subject: a.subject,
  type: a.type,
  severity: a.severity,
  status: a.status,
  message: a.message,
  value: a.value,
  threshold: a.threshold,
  openedAt: iso(a.openedAt),
  acknowledgedAt: iso(a.acknowledgedAt),
  acknowledgedBy: a.acknowledgedBy,
  resolvedAt: iso(a.resolvedAt),
  resolution: a.resolution,
});

const cursorOf = (a: Alert) => encodeTimeIdCursor(a.openedAt, a.id);

export function alertRoutes(app: Api, services: Pick<Services, 'monitor' | 'series' | 'tenants'>): void {
  const { monitor, series } = services;

  app.get(
    '/api/alerts',
    {
      schema: {
        operationId: 'listAlerts',
        tags: ['alerts'],
        summary: 'Alerts, newest first: filter by status (active = open or acknowledged), type and model; cursor-paginated',
        querystring: Type.Object(
          {
            tenantId: Type.Optional(Id),
            status: Type.Optional(Type.String({ enum: ['open', 'acknowledged', 'resolved', 'active'] })),
            type: Type.Optional(Type.String({ enum: [...ALERT_TYPES] })),
            model: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: described(Type.Object({ alerts: Type.Array(AlertSchema), nextCursor: Nullable(Type.String()) }), 'A page of alerts; pass nextCursor back as cursor for the next (older) page'), ...errors(400) },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = q.limit ?? 50;
      const filter = { ...(q.status ? { status: q.status as 'active' } : {}), ...(q.type ? { type: q.type } : {}), ...(q.model ? { model: q.model } : {}) };
      const rows = await monitor.list(q.tenantId ?? ALL_TENANTS, filter, { limit: limit + 1, ...(q.cursor ? { before: decodeTimeIdCursor(q.cursor) } : {}) });
      const page = rows.slice(0, limit);
      return { alerts: page.map(alertDto), nextCursor: rows.length > limit ? cursorOf(page.at(-1)!) : null };
    },
  );

  app.post(
    '/api/alerts/:id/ack',
    {
      schema: {
        operationId: 'acknowledgeAlert',
        tags: ['alerts'],
        summary: 'Acknowledges an open alert: it stays active (no duplicate opens) until its condition clears; acknowledging again changes nothing',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        querystring: Type.Object({ tenantId: Type.Optional(Id) }, { additionalProperties: false }),
        body: Type.Optional(Type.Union([Type.Object({ by: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'who acknowledges it' })) }, { additionalProperties: false }), Type.Null()])),
        response: { 200: described(AlertSchema, 'The alert, acknowledged'), ...errors(400, 404, 409) },
      },
    },
    async (request) => alertDto(await monitor.acknowledge(request.query.tenantId ?? ALL_TENANTS, request.params.id, request.body?.by ?? request.principal?.subject ?? null)),
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/metrics',
    {
      schema: {
        operationId: 'getModelMetrics',
        tags: ['models'],
        summary: "A model's series and trends: each version's gate metrics, the champion's live metric over time, its trainings' durations and success rate; trends from the Theil–Sen slope of the latest points",
        params: ModelParams,
        querystring: Type.Object({ points: Type.Optional(Type.Integer({ minimum: 2, maximum: 500, description: 'latest versions, live points and trainings (default 20)' })) }, { additionalProperties: false }),
        response: { 200: described(Open('series: versions {points, trend}, live {points, trend}, trainings {runs, successRate, durationMs, durationTrend}, openAlerts'), "The model's series"), ...errors(400, 404) },
      },
    },
    async (request) => {
      const s = await series.model(request.params.tenantId, request.params.model, request.query.points ?? 20);
      return {
        ...s,
        versions: { points: s.versions.points.map((v) => ({ ...v, createdAt: iso(v.createdAt) })), trend: trendDto(s.versions.trend) },
        live: { points: s.live.points.map((p) => ({ ...p, at: iso(p.at) })), trend: trendDto(s.live.trend) },
        trainings: { ...s.trainings, runs: s.trainings.runs.map((r) => ({ ...r, finishedAt: iso(r.finishedAt) })), durationTrend: trendDto(s.trainings.durationTrend) },
      };
    },
  );

  app.get(
    '/api/training/metrics',
    {
      schema: {
        operationId: 'seed003TrainingMetrics',
        tags: ['seed-compatible', 'models'],
        summary: "Seed 003: the caller's tenant's training metrics over the last days: totals (trainings, success rate, durations) and per model its champion, live metric and trend, trainings and open alerts",
        querystring: Type.Object(
          { tenantId: Type.Optional(Id), organizationId: Type.Optional(Id), days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: 'default 30' })) },
          { additionalProperties: false },
        ),
        response: { 200: described(Open('tenantId, since, totals, models'), "The tenant's training metrics"), ...errors(400, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const tenantId = await services.tenants.resolve(q.tenantId ?? q.organizationId);
      await services.tenants.require(tenantId, q.tenantId ? 'tenantId' : 'organizationId');
      const m = await series.tenant(tenantId, q.days ?? 30);
      return {
        ...m,
        since: iso(m.since),
        models: m.models.map((x) => ({ ...x, championAt: iso(x.championAt), live: x.live ? { ...x.live, at: iso(x.live.at) } : null, lastTraining: x.lastTraining ? { ...x.lastTraining, at: iso(x.lastTraining.at) } : null })),
      };
    },
  );

  app.get(
    '/api/training/system-metrics',
    {
      schema: {
        operationId: 'seed003SystemMetrics',
        tags: ['ops'],
        summary: 'Every tenant: trainings over the last days (counts, success rate, durations), declared models, and the models with open alerts',
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: 'default 1' })) }, { additionalProperties: false }),
        response: { 200: described(Open('since, totals, tenants, alerts, modelsWithOpenAlerts'), 'The system-wide view'), ...errors(400) },
      },
    },
    async (request) => {
      const m = await series.system(request.query.days ?? 1);
      return { ...m, since: iso(m.since) };
    },
  );
}

