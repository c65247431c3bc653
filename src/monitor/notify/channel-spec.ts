/**
 * A notification channel's definition, one parser for the config file and the API: every error
 * names the field and says what to send instead. Secrets (a webhook's signing secret and headers,
 * an MQTT password) live in the spec and never in a view (channelView).
 */
import { NOTIFICATION_EVENTS, type NotificationEvent } from './events.ts';

export const CHANNEL_TYPES = ['webhook', 'mqtt', 'log'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface WebhookSpec {
  type: 'webhook';
  url: string;
  /** `json`: the notification as JSON; `text`: `{"text": "…"}`, what Slack and Teams incoming webhooks take. */
  format: 'json' | 'text';
  /** HMAC-SHA256 key of X-Nightshift-Signature; null: unsigned. */
  secret: string | null;
  headers: Record<string, string>;
  timeoutMs: number;
}

export interface MqttSpec {
  type: 'mqtt';
  url: string;
  username: string | null;
  password: string | null;
  /** Template with {tenant}, {event} (dots as levels) and {model}; seed 001: `ha-ai/status/analysis_complete`. */
  topic: string;
  /** Retained per-model status; null: none. */
  statusTopic: string | null;
  qos: 0 | 1 | 2;
}

export interface LogSpec {
  type: 'log';
}

export type ChannelSpec = WebhookSpec | MqttSpec | LogSpec;

export interface ChannelDefinition {
  id: string;
  /** The events it receives; null: every event. */
  events: NotificationEvent[] | null;
  enabled: boolean;
  spec: ChannelSpec;
}

export const DEFAULT_MQTT_TOPIC = 'nightshift/{tenant}/{event}';
export const DEFAULT_MQTT_STATUS_TOPIC = 'nightshift/{tenant}/models/{model}/status';
const CHANNEL_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const TOPIC_VARS = /\{(tenant|event|model)\}/g;

/** Builds the error for a field (NS_VALIDATION for the API, NS_CONFIG_INVALID for the file). */
export type FieldError = (field: string, message: string) => Error;

const COMMON_KEYS = ['id', 'type', 'events', 'enabled'];
const KEYS: Record<ChannelType, string[]> = {
  webhook: [...COMMON_KEYS, 'url', 'format', 'secret', 'headers', 'timeoutMs'],
  mqtt: [...COMMON_KEYS, 'url', 'username', 'password', 'topic', 'statusTopic', 'qos'],
  log: COMMON_KEYS,
};

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `at` prefixes field names ("notifications.channels[0]" in the file, "" for an API body). */
export function parseChannel(raw: unknown, at: string, fail: FieldError, extraKeys: readonly string[] = []): ChannelDefinition {
  const f = (key: string) => (at ? `${at}.${key}` : key);
  if (!isMap(raw)) throw fail(at || 'body', 'must be a map with "id", "type" and the type\'s settings');
  const type = raw.type;
  if (typeof type !== 'string' || !(CHANNEL_TYPES as readonly string[]).includes(type)) {
    throw fail(f('type'), `must be one of ${CHANNEL_TYPES.map((t) => `"${t}"`).join(', ')} (got ${JSON.stringify(type)})`);
  }
  const t = type as ChannelType;
  for (const key of Object.keys(raw)) {
    if (!KEYS[t].includes(key) && !extraKeys.includes(key)) throw fail(f(key), `is not a setting of a ${t} channel; its settings are ${KEYS[t].join(', ')}`);
  }
  const id = raw.id;
  if (typeof id !== 'string' || !CHANNEL_ID.test(id)) throw fail(f('id'), 'must be 1 to 64 lowercase letters, digits, "_", "." or "-", starting with a letter or digit, e.g. "ops-webhook"');
  const events = parseEvents(raw.events, f('events'), fail);
  const enabled = raw.enabled === undefined ? true : raw.enabled;
  if (typeof enabled !== 'boolean') throw fail(f('enabled'), 'must be true or false');
  return { id, events, enabled, spec: parseSpec(t, raw, f, fail) };
}

function parseEvents(raw: unknown, field: string, fail: FieldError): NotificationEvent[] | null {
  if (raw === undefined || raw === null) return null;
  if (!Array.isArray(raw) || raw.length === 0) throw fail(field, `must be a non-empty list of events, from ${NOTIFICATION_EVENTS.join(', ')} (leave it out for every event)`);
  return raw.map((e, i) => {
    if (typeof e !== 'string' || !(NOTIFICATION_EVENTS as readonly string[]).includes(e)) {
      throw fail(`${field}[${i}]`, `${JSON.stringify(e)} is not an event; the events are ${NOTIFICATION_EVENTS.join(', ')}`);
    }
    return e as NotificationEvent;
  });
}

function text(raw: unknown, field: string, fail: FieldError, example: string, optional: true): string | null;
function text(raw: unknown, field: string, fail: FieldError, example: string, optional?: false): string;
function text(raw: unknown, field: string, fail: FieldError, example: string, optional = false): string | null {
  if (raw === undefined || raw === null) {
    if (optional) return null;
    throw fail(field, `is required, e.g. ${JSON.stringify(example)}`);
  }
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) throw fail(field, `must be a non-empty text of at most 2048 characters, e.g. ${JSON.stringify(example)}`);
  return raw;
}

function url(raw: unknown, field: string, fail: FieldError, protocols: readonly string[], example: string): string {
  const value = text(raw, field, fail, example);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw fail(field, `must be an absolute URL, e.g. ${JSON.stringify(example)}`);
  }
  if (!protocols.includes(parsed.protocol)) throw fail(field, `must use ${protocols.map((p) => p.replace(':', '')).join(' or ')}, e.g. ${JSON.stringify(example)}`);
  return value;
}

function topic(raw: unknown, field: string, fail: FieldError, fallback: string | null): string | null {
  if (raw === undefined) return fallback;
  if (raw === null) return null;
  const value = text(raw, field, fail, 'ha-ai/status/analysis_complete');
  if (/[#+]/.test(value) || value.startsWith('/') || value.endsWith('/')) {
    throw fail(field, 'must be a topic to publish to: no "#" or "+" wildcards and no leading or trailing "/", e.g. "nightshift/{tenant}/{event}"');
  }
  const unknown = value.replace(TOPIC_VARS, '').match(/\{[^}]*\}/);
  if (unknown) throw fail(field, `${unknown[0]} is not a placeholder; use {tenant}, {event} or {model}`);
  return value;
}

function parseSpec(type: ChannelType, raw: Record<string, unknown>, f: (k: string) => string, fail: FieldError): ChannelSpec {
  switch (type) {
    case 'log':
      return { type };
    case 'webhook': {
      const format = raw.format ?? 'json';
      if (format !== 'json' && format !== 'text') throw fail(f('format'), 'must be "json" (the notification as JSON) or "text" (Slack/Teams: {"text": "…"})');
      const timeoutMs = raw.timeoutMs ?? 10_000;
      if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) throw fail(f('timeoutMs'), 'must be whole milliseconds from 100 to 120000, e.g. 10000');
      const headers = raw.headers ?? {};
      if (!isMap(headers) || Object.entries(headers).some(([k, v]) => typeof v !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(k))) {
        throw fail(f('headers'), 'must be a map of header names (letters, digits, "-") to texts, e.g. {"Authorization": "Bearer …"}');
      }
      const secret = text(raw.secret, f('secret'), fail, 'a long random text', true);
      if (secret !== null && secret.length < 16) throw fail(f('secret'), 'must be at least 16 characters (it keys the HMAC-SHA256 signature)');
      return { type, url: url(raw.url, f('url'), fail, ['http:', 'https:'], 'https://hooks.example.com/nightshift'), format, secret, headers: headers as Record<string, string>, timeoutMs };
    }
    case 'mqtt': {
      const qos = raw.qos ?? 1;
      if (raw.password !== undefined && raw.password !== null && (raw.username === undefined || raw.username === null)) {
        throw fail(f('username'), 'is required with a password (MQTT sends a password only with a user name)');
      }
      if (qos !== 0 && qos !== 1 && qos !== 2) throw fail(f('qos'), 'must be 0, 1 or 2 (default 1: at least once)');
      return {
        type,
        url: url(raw.url, f('url'), fail, ['mqtt:', 'mqtts:', 'ws:', 'wss:'], 'mqtt://127.0.0.1:1883'),
        username: text(raw.username, f('username'), fail, 'nightshift', true),
        password: text(raw.password, f('password'), fail, 'secret', true),
        topic: topic(raw.topic, f('topic'), fail, DEFAULT_MQTT_TOPIC)!,
        statusTopic: topic(raw.statusTopic, f('statusTopic'), fail, DEFAULT_MQTT_STATUS_TOPIC),
        qos,
      };
    }
  }
}

/** What a channel shows: where it goes, never a secret, a credential or a URL's path (Slack's holds its token). */
export function describeTarget(spec: ChannelSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'log':
      return {};
    case 'webhook': {
      const u = new URL(spec.url);
      return { url: `${u.protocol}//${u.host}/…`, format: spec.format, signed: spec.secret !== null, headers: Object.keys(spec.headers), timeoutMs: spec.timeoutMs };
    }
    case 'mqtt': {
      const u = new URL(spec.url);
      return { url: `${u.protocol}//${u.host}`, topic: spec.topic, statusTopic: spec.statusTopic, qos: spec.qos, authenticated: spec.username !== null };
    }
  }
}
