/**
 * MQTT notifications on the machine's real Mosquitto (127.0.0.1:1883): a subscriber gets each event
 * on its topic (`nightshift/<tenant>/<event>` by default, or a fixed one such as seed 001's
 * `ha-ai/status/analysis_complete`) at QoS 1, and a subscriber arriving later still gets each
 * model's retained status.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { connectAsync, type IPublishPacket, type MqttClient } from 'mqtt';
import { NOTIFICATION_DEFAULTS } from '../../src/config/notification-entries.ts';
import type { AlertEventPayload } from '../../src/events.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { commandJob, tempDir } from '../helpers/settings.ts';

const BROKER = 'mqtt://127.0.0.1:1883';

interface Message {
  topic: string;
  json: Record<string, unknown>;
  qos: number;
  retain: boolean;
}

async function subscriber(topics: string[]): Promise<{ client: MqttClient; messages: Message[]; waitFor(n: number): Promise<void> }> {
  const client = await connectAsync(BROKER, { clientId: `ns-test-${randomBytes(4).toString('hex')}`, reconnectPeriod: 0 });
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  client.on('message', (topic, payload, packet: IPublishPacket) => {
    if (payload.length === 0) return;
    messages.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown>, qos: packet.qos, retain: packet.retain });
    for (const w of waiters.splice(0)) w();
  });
  await client.subscribeAsync(topics, { qos: 1 });
  const waitFor = async (n: number) => {
    const deadline = Date.now() + 15_000;
    while (messages.length < n) {
      if (Date.now() > deadline) throw new Error(`subscriber: ${messages.length} of ${n} messages: ${JSON.stringify(messages.map((m) => m.topic))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  return { client, messages, waitFor };
}

describe('MQTT notifications on the real broker', () => {
  test('events on their topics at QoS 1, the seed 001 topic, and a retained status per model', { timeout: 60_000 }, async () => {
    // A tenant of its own: topics no other test run publishes to.
    const tenant = `mq-${randomBytes(4).toString('hex')}`;
    const seedTopic = `${tenant}/ha-ai/status/analysis_complete`;
    const job = commandJob('analysis', process.execPath, ['-e', "console.log('::metric patterns=28'); console.log('::metric suggestions=10'); console.log('::metric cost=0.0025')"]);
    const t = await openTestEngine({ dialect: 'sqlite', dataDir: tempDir(), databaseUrl: null }, {
      tenants: [{ id: tenant, name: 'MQTT test', timezone: 'UTC' }],
      jobs: [job],
      notifications: {
        ...NOTIFICATION_DEFAULTS,
        channels: [
          { tenants: null, channel: { id: 'broker', events: null, enabled: true, spec: { type: 'mqtt', url: BROKER, username: null, password: null, topic: 'nightshift/{tenant}/{event}', statusTopic: 'nightshift/{tenant}/models/{model}/status', qos: 1 } } },
          { tenants: null, channel: { id: 'ha', events: ['run.succeeded'], enabled: true, spec: { type: 'mqtt', url: BROKER, username: null, password: null, topic: seedTopic, statusTopic: null, qos: 1 } } },
        ],
      },
    });
    const sub = await subscriber([`nightshift/${tenant}/#`, seedTopic]);
    let late: Awaited<ReturnType<typeof subscriber>> | null = null;
    const n = t.engine.notifications;
    try {
      assert.deepEqual((await n.listChannels(tenant)).map((c) => [c.id, c.origin]), [['broker', 'config'], ['ha', 'config']]);
      t.engine.workers.lifecycle.to('running');
      const queued = await t.engine.runs.trigger('analysis', tenant);
      const finished = t.engine.events.waitFor('run:finished', (p) => p.run.id === queued.id);
      await t.engine.workers.claimAndStart();
      await finished;
      const alert: AlertEventPayload = { id: 'alr_1', tenantId: tenant, model: 'churn', type: 'LOW_ACCURACY', severity: 'warning', status: 'open', message: 'live accuracy 0.71 below 0.75', value: 0.71, threshold: 0.75, openedAt: t.clock.now(), resolvedAt: null };
      t.engine.events.emit('alert:opened', { alert });
      await n.settled();
      t.engine.events.emit('alert:resolved', { alert: { ...alert, status: 'resolved', resolvedAt: t.clock.now() + 1 } });
      await n.settled();
      const round = await n.worker.deliverDue();
      assert.deepEqual(round, { claimed: 4, delivered: 4, failed: 0, dead: 0 });
      // run.succeeded twice (both channels), alert opened and resolved, and the model's status twice.
      await sub.waitFor(6);
      const byTopic = (topic: string) => sub.messages.filter((m) => m.topic === topic);
      assert.ok(sub.messages.every((m) => m.qos === 1), 'QoS 1');

      const [run] = byTopic(`nightshift/${tenant}/run/succeeded`);
      assert.equal(run?.json.event, 'run.succeeded');
      assert.deepEqual(run?.json.metrics, { patterns: 28, suggestions: 10, cost: 0.0025 });
      assert.equal(run?.json.idempotencyKey, `run.succeeded:${queued.id}`);
      const [seed] = byTopic(seedTopic);
      assert.deepEqual(seed?.json.metrics, { patterns: 28, suggestions: 10, cost: 0.0025 }, "seed 001's {patterns, suggestions, cost}");

      const alerts = sub.messages.filter((m) => m.topic.startsWith(`nightshift/${tenant}/alert/`));
      assert.deepEqual(alerts.map((m) => m.topic), [`nightshift/${tenant}/alert/opened`, `nightshift/${tenant}/alert/resolved`], 'in the order they happened');
      assert.equal((alerts[0]!.json.alert as { type: string }).type, 'LOW_ACCURACY');
      const statuses = byTopic(`nightshift/${tenant}/models/churn/status`);
      assert.equal(statuses.length, 2);

      // A subscriber connecting afterwards gets the model's latest status, retained.
      late = await subscriber([`nightshift/${tenant}/models/+/status`]);
      await late.waitFor(1);
      assert.equal(late.messages.length, 1);
      assert.equal(late.messages[0]!.retain, true);
      assert.equal(late.messages[0]!.json.event, 'alert.resolved');
      assert.deepEqual(late.messages[0]!.json.alert, { type: 'LOW_ACCURACY', status: 'resolved' });
    } finally {
      // Leave no retained message behind on the shared broker.
      await sub.client.publishAsync(`nightshift/${tenant}/models/churn/status`, '', { qos: 1, retain: true }).catch(() => undefined);
      await sub.client.endAsync();
      await late?.client.endAsync();
      await t.close();
    }
  });

  test('a broker that refuses the connection fails the attempt (retried later), without blocking', { timeout: 30_000 }, async () => {
    const t = await openTestEngine({ dialect: 'sqlite', dataDir: tempDir(), databaseUrl: null });
    try {
      await t.engine.notifications.createChannel('acme', { id: 'nobroker', type: 'mqtt', url: 'mqtt://127.0.0.1:9', username: 'ns', password: 'hidden-password' });
      const [view] = await t.engine.notifications.listChannels('acme');
      assert.equal(JSON.stringify(view).includes('hidden-password'), false);
      t.engine.events.emit('alert:opened', { alert: { id: 'alr_2', tenantId: 'acme', model: null, type: 'NOTIFICATION_FAILING', severity: 'warning', status: 'open', message: 'x', value: null, threshold: null, openedAt: t.clock.now(), resolvedAt: null } });
      await t.engine.notifications.settled();
      assert.deepEqual(await t.engine.notifications.worker.deliverDue(), { claimed: 1, delivered: 0, failed: 1, dead: 0 });
      const [row] = await t.engine.notifications.list({ tenants: '*' }, { limit: 1 });
      assert.match(row!.lastError ?? '', /ECONNREFUSED|connect/i);
    } finally {
      await t.close();
    }
  });
});
