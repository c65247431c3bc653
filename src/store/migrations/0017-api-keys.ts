/**
 * Migration 17: API keys and the rate-limit counters nodes share. Plain SQL that SQLite and
 * PostgreSQL both accept.
 *
 * - api_keys: one row per key: the sha256 of its secret (the secret itself is shown once and never
 *   stored), its one tenant ('*' for a super admin's), its role, and when it was revoked. Keys are
 *   never deleted, so a revoked key's id keeps meaning the same key in logs and the audit log.
 * - rate_limits: one row per (route class, tenant, window key): requests counted in the current
 *   window and when it ends. Used on PostgreSQL, where every node counts in the same row; a
 *   SQLite store (one node) counts in memory.
 */
export const name = 'api-keys';

export const statements = [
  `CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tenant TEXT NOT NULL,
    role TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT
  )`,
  `CREATE INDEX api_keys_tenant ON api_keys (tenant)`,
  `CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    reset_at BIGINT NOT NULL
  )`,
];
