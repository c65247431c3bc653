/**
 * The config file's `notifications:` section: channels per tenant (webhook, mqtt, log) and seed
 * 003's notifyOnSuccess / notifyOnFailure, globally, per model and per schedule.
 *
 * notifications:
 *   notifyOnSuccess: true
 *   channels:
 *     - { id: ops, type: webhook, url: https://hooks.example.com/x, secret: …, tenants: [acme] }
 *   models: { churn: { notifyOnSuccess: false } }
 *   schedules: { nightly-acme: { notifyOnFailure: true } }
 */
import { parseChannel } from '../monitor/notify/channel-spec.ts';
import type { NotificationSettings, NotifyPreference } from './types.ts';
import { checkKeys, child, eachMap, invalidField, isPlainObject, toBoolean, toId, toInteger, toStringList, type At } from './values.ts';

export const NOTIFICATION_DEFAULTS: NotificationSettings = Object.freeze({
  channels: [],
  notifyOnSuccess: true,
  notifyOnFailure: true,
  models: {},
  schedules: {},
  maxAttempts: 12,
  failingAfter: 5,
});

const KEYS = ['channels', 'notifyOnSuccess', 'notifyOnFailure', 'models', 'schedules', 'maxAttempts', 'failingAfter'];

export function parseNotifications(raw: unknown, at: At): NotificationSettings {
  if (raw === undefined || raw === null) return NOTIFICATION_DEFAULTS;
  if (!isPlainObject(raw)) throw invalidField(at, `must be a map with ${KEYS.map((k) => `"${k}"`).join(', ')}`);
  checkKeys(raw, at, KEYS);
  const fail = (field: string, message: string) => invalidField({ file: at.file, path: field }, message);
  const channels = eachMap(raw.channels, child(at, 'channels'), (entry, cat) => {
    const tenants = entry.tenants === undefined ? null : toStringList(entry.tenants, child(cat, 'tenants'), 'acme').map((t, i) => toId(t, child(child(cat, 'tenants'), i), 'acme'));
    return { tenants, channel: parseChannel(entry, cat.path, fail, ['tenants']) };
  });
  const seen = new Set<string>();
  channels.forEach((c, i) => {
    if (seen.has(c.channel.id)) throw invalidField(child(child(child(at, 'channels'), i), 'id'), `"${c.channel.id}" is declared twice; give each channel its own id`);
    seen.add(c.channel.id);
  });
  return {
    channels,
    notifyOnSuccess: raw.notifyOnSuccess === undefined ? true : toBoolean(raw.notifyOnSuccess, child(at, 'notifyOnSuccess')),
    notifyOnFailure: raw.notifyOnFailure === undefined ? true : toBoolean(raw.notifyOnFailure, child(at, 'notifyOnFailure')),
    models: preferences(raw.models, child(at, 'models')),
    schedules: preferences(raw.schedules, child(at, 'schedules')),
    maxAttempts: raw.maxAttempts === undefined ? NOTIFICATION_DEFAULTS.maxAttempts : toInteger(raw.maxAttempts, child(at, 'maxAttempts'), { min: 1, max: 100 }, '12'),
    failingAfter: raw.failingAfter === undefined ? NOTIFICATION_DEFAULTS.failingAfter : toInteger(raw.failingAfter, child(at, 'failingAfter'), { min: 1, max: 1000 }, '5'),
  };
}

function preferences(raw: unknown, at: At): Record<string, NotifyPreference> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw invalidField(at, 'must be a map of names to {notifyOnSuccess, notifyOnFailure}');
  const out: Record<string, NotifyPreference> = {};
  for (const [name, value] of Object.entries(raw)) {
    const pat = child(at, name);
    if (!isPlainObject(value)) throw invalidField(pat, 'must be a map with "notifyOnSuccess" and/or "notifyOnFailure"');
    checkKeys(value, pat, ['notifyOnSuccess', 'notifyOnFailure']);
    out[name] = {
      ...(value.notifyOnSuccess !== undefined ? { notifyOnSuccess: toBoolean(value.notifyOnSuccess, child(pat, 'notifyOnSuccess')) } : {}),
      ...(value.notifyOnFailure !== undefined ? { notifyOnFailure: toBoolean(value.notifyOnFailure, child(pat, 'notifyOnFailure')) } : {}),
    };
  }
  return out;
}
