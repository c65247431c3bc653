/**
 * Migration 15: notifications. Plain SQL that SQLite and PostgreSQL both accept.
 *
 * - notification_channels: a tenant's channels (webhook, mqtt, log); `config` holds the channel's
 *   settings with its secrets, which no route ever returns. `failures` counts deliveries failed in
 *   a row, `failing` is set once NOTIFICATION_FAILING was announced (so it is announced once).
 * - notification_outbox: one row per (notification, channel), written in the store before any
 *   delivery is tried, so a restart delivers what was pending. A node takes a row by setting
 *   lease_owner and lease_expires_at; a row whose lease expired (its node died) is taken again.
 *   `idem_key` is what a receiver sees as the idempotency key: the same for every attempt.
 * - notification_attempts: every delivery attempt with its status code, error and duration.
 */
export const name = 'notification-outbox';

export const statements = [
  `CREATE TABLE notification_channels (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    config TEXT NOT NULL,
    events TEXT,
    enabled INTEGER NOT NULL,
    origin TEXT NOT NULL,
    failures INTEGER NOT NULL,
    failing INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  )`,
  `CREATE TABLE notification_outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    event TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    last_status_code INTEGER,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT
  )`,
  `CREATE UNIQUE INDEX notification_outbox_key ON notification_outbox (tenant_id, channel_id, idem_key)`,
  `CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at)`,
  `CREATE INDEX notification_outbox_tenant ON notification_outbox (tenant_id, created_at)`,
  `CREATE TABLE notification_attempts (
    notification_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    tenant_id TEXT NOT NULL,
    node TEXT NOT NULL,
    at BIGINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    ok INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    PRIMARY KEY (notification_id, attempt)
  )`,
];
