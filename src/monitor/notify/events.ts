/**
 * The events a tenant can be notified of, and what every notification carries. Dotted names:
 * the webhook's X-Nightshift-Event header and the payload's `event`; MQTT topics use them with
 * the dot as a level (`run.succeeded` → `run/succeeded`) so a subscriber can take `run/#`.
 */
export const NOTIFICATION_EVENTS = [
  'run.succeeded',
  'run.failed',
  'run.skipped',
  'version.promoted',
  'version.rejected',
  'model.rollback',
  'alert.opened',
  'alert.resolved',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** What a receiver gets (the JSON body of a webhook, the MQTT message). */
export interface Notification {
  /** The outbox row's id: each (notification, channel) has its own. */
  id: string;
  event: NotificationEvent;
  /** The same for every attempt and every node: a receiver drops a key it has seen. */
  idempotencyKey: string;
  tenant: string;
  model: string | null;
  /** ISO-8601, when the event happened. */
  at: string;
  summary: string;
  /**
   * Numbers the run reported (`::metric` lines of a command job: seed 001's patterns,
   * suggestions, cost) and a training's holdout metrics.
   */
  metrics: Record<string, number | null>;
  run: { id: string; job: string; schedule: string | null; status: string; outcome: string | null; trigger: string; durationMs: number | null; error: string | null } | null;
  version: { version: number; previous: number | null; gate: string | null } | null;
  alert: { id: string; type: string; severity: string; status: string; message: string; value: number | null; threshold: number | null } | null;
}

/** The event's body before it is written for a channel (the outbox adds id and idempotencyKey). */
export type NotificationBody = Omit<Notification, 'id' | 'idempotencyKey'>;

/** `run.succeeded` → `run/succeeded`. */
export const eventTopicPart = (event: string): string => event.replace(/\./g, '/');
