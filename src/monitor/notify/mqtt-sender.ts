/**
 * MQTT with the `mqtt` package: one connection per broker and credentials, kept open between
 * deliveries. Each notification is published to the channel's topic (QoS 1 by default: the broker
 * acknowledges it, or the attempt fails and the outbox retries), and, when it is about a model, to
 * the model's retained status topic, which a subscriber connecting later still gets.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { MqttSpec } from './channel-spec.ts';
import { eventTopicPart, type Notification } from './events.ts';
import { errorText, type DeliveryResult, type Sender } from './sender.ts';

const CONNECT_TIMEOUT_MS = 5_000;
const PUBLISH_TIMEOUT_MS = 10_000;

/** `{tenant}`, `{event}` (dots as levels) and `{model}` ('_' when the notification has none). */
export function renderTopic(template: string, n: Pick<Notification, 'tenant' | 'event' | 'model'>): string {
  return template.replace(/\{(tenant|event|model)\}/g, (_, v: string) => (v === 'tenant' ? n.tenant : v === 'event' ? eventTopicPart(n.event) : (n.model ?? '_')));
}

/** What a model's retained status topic holds: its latest notification, in short. */
export function modelStatus(n: Notification) {
  return {
    tenant: n.tenant,
    model: n.model,
    event: n.event,
    at: n.at,
    summary: n.summary,
    runStatus: n.run?.status ?? null,
    outcome: n.run?.outcome ?? null,
    version: n.version?.version ?? null,
    alert: n.alert ? { type: n.alert.type, status: n.alert.status } : null,
    metrics: n.metrics,
  };
}

export class MqttSender implements Sender<MqttSpec> {
  readonly #clients = new Map<string, Promise<MqttClient>>();

  async send(spec: MqttSpec, n: Notification): Promise<DeliveryResult> {
    try {
      const client = await this.#client(spec);
      await withTimeout(client.publishAsync(renderTopic(spec.topic, n), JSON.stringify(n), { qos: spec.qos }), 'publish');
      if (spec.statusTopic && n.model) {
        await withTimeout(client.publishAsync(renderTopic(spec.statusTopic, n), JSON.stringify(modelStatus(n)), { qos: spec.qos, retain: true }), 'publish status');
      }
      return { ok: true, statusCode: null, error: null };
    } catch (error) {
      return { ok: false, statusCode: null, error: errorText(error) };
    }
  }

  #client(spec: MqttSpec): Promise<MqttClient> {
    const key = JSON.stringify([spec.url, spec.username, spec.password]);
    let client = this.#clients.get(key);
    if (!client) {
      const forget = () => {
        if (this.#clients.get(key) === client) this.#clients.delete(key);
      };
      // No automatic reconnection: a broken connection fails its attempt at once (the outbox
      // retries with backoff) and the next attempt connects anew.
      // The package is loaded on first use: every CLI command and training process imports this
      // module, and mqtt with its stream stack costs a few hundred ms of start-up CPU.
      client = withTimeout(import('mqtt').then(({ connectAsync }) => connectAsync(spec.url, {
        clientId: `nightshift-${randomBytes(6).toString('hex')}`,
        reconnectPeriod: 0,
        connectTimeout: CONNECT_TIMEOUT_MS,
        ...(spec.username !== null ? { username: spec.username } : {}),
        ...(spec.password !== null ? { password: spec.password } : {}),
      })), 'connection', CONNECT_TIMEOUT_MS + 1_000).then(
        (c) => {
          c.on('close', forget);
          c.on('error', () => undefined);
          return c;
        },
        (error: unknown) => {
          forget();
          throw error;
        },
      );
      this.#clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.then((x) => x.endAsync()).catch(() => undefined)));
  }
}

async function withTimeout<T>(promise: Promise<T>, what: string, ms = PUBLISH_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`MQTT ${what} not acknowledged within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
