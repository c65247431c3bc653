/**
 * Notification routes: channels per tenant (created, listed, read, deleted; secrets accepted and
 * never returned; bad input refused naming the field, storing nothing), the outbox's notifications
 * with their history, and the outbox on /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NOTIFICATION_DEFAULTS } from '../../src/config/notification-entries.ts';
import { assertError, body, openTestApi, parseMetrics, sample, type TestApi } from '../helpers/api.ts';

const SECRET = 'api-test-secret-0123456789';

describe('notification routes', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({
      notifications: { ...NOTIFICATION_DEFAULTS, channels: [{ tenants: ['acme'], channel: { id: 'declared', events: null, enabled: true, spec: { type: 'log' } } }] },
    });
  });
  after(async () => t.close());

  const channels = async (tenant = 'acme') => (await t.engine.db.k.selectFrom('notification_channels').selectAll().where('tenant_id', '=', tenant).execute()).length;

  test('a webhook channel is created with its secret, which no answer shows', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/tenants/acme/notification-channels',
      payload: { id: 'slack', type: 'webhook', url: 'https://hooks.slack.com/services/T000/B000/XXXXSECRETPATH', format: 'text', secret: SECRET, headers: { Authorization: 'Bearer hidden-token' }, events: ['run.failed', 'alert.opened'], enabled: false },
    });
    assert.equal(res.statusCode, 201, res.body);
    const created = body<Record<string, unknown>>(res);
    assert.deepEqual(created.target, { url: 'https://hooks.slack.com/…', format: 'text', signed: true, headers: ['Authorization'], timeoutMs: 10_000 });
    assert.deepEqual(created.events, ['run.failed', 'alert.opened']);
    assert.equal(created.origin, 'api');
    for (const url of ['/api/tenants/acme/notification-channels', '/api/tenants/acme/notification-channels/slack']) {
      const text = (await t.app.inject(url)).body;
      for (const secret of [SECRET, 'hidden-token', 'XXXXSECRETPATH']) assert.equal(text.includes(secret), false, `${url} shows no ${secret}`);
    }
    const list = body<{ channels: Array<{ id: string; origin: string }> }>(await t.app.inject('/api/tenants/acme/notification-channels'));
    assert.deepEqual(list.channels.map((c) => [c.id, c.origin]), [['declared', 'config'], ['slack', 'api']]);
    assertError(await t.app.inject({ method: 'POST', url: '/api/tenants/acme/notification-channels', payload: { id: 'slack', type: 'log' } }), { status: 409, code: 'NS_CONFLICT', field: 'id' });
  });

  test('bad channels are refused naming the field and the fix, and store nothing', async () => {
    const n = await channels();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ id: 'x', type: 'email' }, 'type', /"webhook", "mqtt", "log"/],
      [{ id: 'x', type: 'webhook' }, 'url', /required/],
      [{ id: 'x', type: 'webhook', url: 'ftp://a/b' }, 'url', /http or https/],
      [{ id: 'x', type: 'webhook', url: 'https://a/b', secret: 'short' }, 'secret', /at least 16/],
      [{ id: 'x', type: 'webhook', url: 'https://a/b', events: ['run.done'] }, 'events[0]', /run\.succeeded/],
      [{ id: 'x', type: 'mqtt', url: 'mqtt://h', topic: 'a/#' }, 'topic', /wildcards/],
      [{ id: 'x', type: 'mqtt', url: 'mqtt://h', topic: 'a/{job}' }, 'topic', /\{job\} is not a placeholder/],
      [{ id: 'x', type: 'mqtt', url: 'mqtt://h', qos: 3 }, 'qos', /0, 1 or 2/],
      [{ id: 'x', type: 'log', url: 'https://a' }, 'url', /not a setting of a log channel/],
      [{ id: 'Bad Id', type: 'log' }, 'id', /lowercase/],
    ];
    for (const [payload, field, message] of cases) {
      assertError(await t.app.inject({ method: 'POST', url: '/api/tenants/acme/notification-channels', payload }), { status: 400, code: 'NS_VALIDATION', field, message });
    }
    assertError(await t.app.inject({ method: 'POST', url: '/api/tenants/nobody/notification-channels', payload: { id: 'x', type: 'log' } }), { status: 404, code: 'NS_NOT_FOUND' });
    assert.equal(await channels(), n);
  });

  test('a channel made over the API is deleted; one the config file declares is not', async () => {
    await t.app.inject({ method: 'POST', url: '/api/tenants/acme/notification-channels', payload: { id: 'temp', type: 'log' } });
    assert.equal((await t.app.inject({ method: 'DELETE', url: '/api/tenants/acme/notification-channels/temp' })).statusCode, 204);
    assertError(await t.app.inject('/api/tenants/acme/notification-channels/temp'), { status: 404, code: 'NS_NOT_FOUND', field: 'channelId' });
    assertError(await t.app.inject({ method: 'DELETE', url: '/api/tenants/acme/notification-channels/declared' }), { status: 409, code: 'NS_CONFLICT', message: /config file/ });
  });

  test('GET /api/notifications lists with filters and pages; one notification shows its history; /metrics shows the outbox', async () => {
    for (let i = 0; i < 3; i++) {
      t.engine.events.emit('alert:opened', { alert: { id: `alr_${i}`, tenantId: 'acme', model: 'churn', type: 'LOW_ACCURACY', severity: 'warning', status: 'open', message: 'low', value: 0.7, threshold: 0.75, openedAt: t.clock.now(), resolvedAt: null } });
    }
    await t.engine.notifications.settled();
    // 3 alerts to the declared log channel (the slack one is disabled: nothing leaves this machine)
    const all = body<{ notifications: Array<{ id: string; channel: string; status: string; event: string }>; nextCursor: string | null }>(await t.app.inject('/api/notifications?limit=2'));
    assert.equal(all.notifications.length, 2);
    assert.ok(all.nextCursor);
    const rest = body<{ notifications: unknown[]; nextCursor: string | null }>(await t.app.inject(`/api/notifications?limit=2&cursor=${all.nextCursor}`));
    assert.equal(rest.notifications.length, 1);
    assert.equal(rest.nextCursor, null);
    const logOnly = body<{ notifications: Array<{ channel: string; status: string }> }>(await t.app.inject('/api/notifications?channel=declared&status=pending'));
    assert.equal(logOnly.notifications.length, 3);
    const metrics = parseMetrics((await t.app.inject('/metrics')).body);
    assert.equal(sample(metrics, 'nightshift_notification_outbox_depth', { tenant: 'acme', status: 'pending' }), 3);

    await t.engine.notifications.worker.deliverDue();
    const log = body<{ notifications: Array<{ id: string; status: string; attempts: number }> }>(await t.app.inject('/api/notifications?channel=declared'));
    assert.ok(log.notifications.every((x) => x.status === 'delivered' && x.attempts === 1));
    const one = body<{ history: Array<{ attempt: number; ok: boolean; node: string }> }>(await t.app.inject(`/api/notifications/${log.notifications[0]!.id}`));
    assert.deepEqual(one.history.map((a) => [a.attempt, a.ok]), [[1, true]]);
    const after = parseMetrics((await t.app.inject('/metrics')).body);
    assert.equal(sample(after, 'nightshift_notification_deliveries_total', { type: 'log', outcome: 'delivered' }), 3);
    assertError(await t.app.inject('/api/notifications?status=lost'), { status: 400, code: 'NS_VALIDATION', field: 'status' });
    assertError(await t.app.inject('/api/notifications/ntf_000000000000'), { status: 404, code: 'NS_NOT_FOUND' });
  });
});
