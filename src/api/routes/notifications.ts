/**
 * A tenant's notification channels (secrets are accepted, never returned) and the outbox's
 * notifications with their delivery history, limited to the caller's tenants.
 */
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../time-id-cursor.ts';
import { Type } from 'typebox';
import { NsError } from '../../errors.ts';
import { CHANNEL_TYPES } from '../../monitor/notify/channel-spec.ts';
import { NOTIFICATION_EVENTS } from '../../monitor/notify/events.ts';
import type { ChannelView, NotificationService, NotificationView } from '../../monitor/notify/notification-service.ts';
import { iso } from '../dto.ts';
import { described, errors, Id } from '../schemas.ts';
import type { Api } from '../types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const TenantParams = Type.Object({ tenantId: Id }, { additionalProperties: false });
const ChannelParams = Type.Object({ tenantId: Id, channelId: Id }, { additionalProperties: false });

const Channel = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  type: Type.String({ enum: [...CHANNEL_TYPES] }),
  events: Nullable(Type.Array(Type.String())),
  enabled: Type.Boolean(),
  origin: Type.String({ enum: ['config', 'api'] }),
  failing: Type.Boolean({ description: 'deliveries kept failing (notification:failing was raised); false again after one succeeds' }),
  failures: Type.Integer({ description: 'failed delivery rounds in a row' }),
  target: Type.Object({}, { additionalProperties: true, description: 'where it delivers, without secrets: a webhook URL shows its host only (a Slack URL holds its token in the path)' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const ChannelBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'webhook: {id, type: "webhook", url, format?: "json"|"text", secret?, headers?, timeoutMs?, events?, enabled?}; ' +
      'mqtt: {id, type: "mqtt", url, username?, password?, topic? (default "nightshift/{tenant}/{event}"), statusTopic? (retained, default "nightshift/{tenant}/models/{model}/status", null for none), qos? (default 1), events?, enabled?}; ' +
      `log: {id, type: "log", events?, enabled?}. Events: ${NOTIFICATION_EVENTS.join(', ')}`,
  },
);

const Notification = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  channel: Type.String(),
  event: Type.String(),
  idempotencyKey: Type.String(),
  status: Type.String({ enum: ['pending', 'delivered', 'dead'], description: 'dead: every attempt failed and delivery was given up' }),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  payload: Type.Object({}, { additionalProperties: true, description: 'what the receiver gets (without id and idempotencyKey, which are added per channel)' }),
});

const Attempt = Type.Object({ attempt: Type.Integer(), at: Type.String(), node: Type.String(), durationMs: Type.Number(), ok: Type.Boolean(), statusCode: Nullable(Type.Integer()), error: Nullable(Type.String()) });

const channelDto = (c: ChannelView) => ({ ...c, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt) });
const notificationDto = (n: NotificationView) => ({ ...n, nextAttemptAt: iso(n.nextAttemptAt), createdAt: iso(n.createdAt), deliveredAt: iso(n.deliveredAt) });

const cursorOf = (n: NotificationView) => encodeTimeIdCursor(n.createdAt, n.id);

export function notificationRoutes(app: Api, notifications: NotificationService): void {
  app.get(
    '/api/tenants/:tenantId/notification-channels',
    {
      schema: {
        operationId: 'listNotificationChannels',
        tags: ['notifications'],
        summary: "The tenant's notification channels (webhook, mqtt, log), without their secrets",
        params: TenantParams,
        response: { 200: described(Type.Object({ channels: Type.Array(Channel) }), 'Every channel of the tenant, by id'), ...errors(400, 404) },
      },
    },
    async (request) => ({ channels: (await notifications.listChannels(request.params.tenantId)).map(channelDto) }),
  );

  app.post(
    '/api/tenants/:tenantId/notification-channels',
    {
      schema: {
        operationId: 'createNotificationChannel',
        tags: ['notifications'],
        summary: 'Create a channel; its secret (webhook signing key, MQTT password, headers) is stored and never returned; 409 when the id is taken',
        params: TenantParams,
        body: ChannelBody,
        response: { 201: described(Channel, 'The channel, created'), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(channelDto(await notifications.createChannel(request.params.tenantId, request.body))),
  );

  app.get(
    '/api/tenants/:tenantId/notification-channels/:channelId',
    {
      schema: {
        operationId: 'getNotificationChannel',
        tags: ['notifications'],
        summary: 'One channel, without its secrets',
        params: ChannelParams,
        response: { 200: described(Channel, 'The channel'), ...errors(400, 404) },
      },
    },
    async (request) => channelDto(await notifications.getChannel(request.params.tenantId, request.params.channelId)),
  );

  app.delete(
    '/api/tenants/:tenantId/notification-channels/:channelId',
    {
      schema: {
        operationId: 'deleteNotificationChannel',
        tags: ['notifications'],
        summary: 'Delete a channel created over the API (409 for one the config file declares); its pending notifications are given up',
        params: ChannelParams,
        response: { 204: described(Type.Null(), 'Deleted'), ...errors(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await notifications.deleteChannel(request.params.tenantId, request.params.channelId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/notifications',
    {
      schema: {
        operationId: 'listNotifications',
        tags: ['notifications'],
        summary: "Notifications of the caller's tenants, newest first, with their delivery state (attempts, last status code, last error)",
        querystring: Type.Object(
          {
            tenant: Type.Optional(Id),
            status: Type.Optional(Type.String({ enum: ['pending', 'delivered', 'dead'] })),
            event: Type.Optional(Type.String({ enum: [...NOTIFICATION_EVENTS] })),
            channel: Type.Optional(Id),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: described(Type.Object({ notifications: Type.Array(Notification), nextCursor: Nullable(Type.String()) }), 'A page; pass nextCursor back as cursor for the next (older) page'), ...errors(400) },
      },
    },
    async (request) => {
      const { tenant, status, event, channel, cursor } = request.query;
      const limit = request.query.limit ?? 50;
      const tenants = request.principal?.tenants ?? '*';
      const filter = { tenants, ...(tenant ? { tenant } : {}), ...(status ? { status } : {}), ...(event ? { event } : {}), ...(channel ? { channel } : {}) };
      const rows = await notifications.list(filter, { limit: limit + 1, ...(cursor ? { before: decodeTimeIdCursor(cursor) } : {}) });
      const page = rows.slice(0, limit);
      return { notifications: page.map(notificationDto), nextCursor: rows.length > limit ? cursorOf(page.at(-1)!) : null };
    },
  );

  app.get(
    '/api/notifications/:id',
    {
      schema: {
        operationId: 'getNotification',
        tags: ['notifications'],
        summary: 'One notification with its delivery history: every attempt, its node, status code, error and duration',
        params: Type.Object({ id: Id }, { additionalProperties: false }),
        response: { 200: described(Type.Object({ ...Notification.properties, history: Type.Array(Attempt) }), 'The notification and its attempts, oldest first'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const n = await notifications.get(request.params.id, request.principal?.tenants ?? '*');
      return { ...notificationDto(n), history: n.history.map((a) => ({ ...a, at: iso(a.at) })) };
    },
  );
}
