/**
 * Migration 1: the engine's tables. Plain SQL that SQLite and PostgreSQL both accept.
 * Landed migrations are never edited; add a new numbered file instead.
 */
export const name = 'initial';

export const statements = [
  `CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
  `CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    role TEXT,
    spec TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
  `CREATE TABLE schedules (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    job_id TEXT NOT NULL REFERENCES jobs(id),
    cron TEXT,
    every_ms BIGINT,
    timezone TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    jitter_ms BIGINT NOT NULL,
    misfire_grace_ms BIGINT NOT NULL,
    catch_up TEXT NOT NULL,
    catch_up_max INTEGER NOT NULL,
    overlap TEXT NOT NULL,
    timing_hash TEXT NOT NULL,
    next_slot_at BIGINT,
    due_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`,
  `CREATE INDEX schedules_due ON schedules (due_at)`,
  `CREATE INDEX schedules_tenant ON schedules (tenant_id, job_id)`,
  `CREATE TABLE slots (
    schedule_id TEXT NOT NULL,
    slot_at BIGINT NOT NULL,
    tenant_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    fate TEXT NOT NULL,
    reason TEXT,
    late_ms BIGINT NOT NULL,
    run_id TEXT,
    decided_at BIGINT NOT NULL,
    decided_by TEXT NOT NULL,
    PRIMARY KEY (schedule_id, slot_at)
  )`,
  `CREATE INDEX slots_tenant ON slots (tenant_id, slot_at)`,
  `CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    schedule_id TEXT,
    slot_at BIGINT,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    timeout_ms BIGINT NOT NULL,
    params TEXT,
    run_at BIGINT NOT NULL,
    queued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    duration_ms BIGINT,
    late_ms BIGINT,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    heartbeat_at BIGINT,
    deadline_at BIGINT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,
    host TEXT,
    exit_code INTEGER,
    exit_signal TEXT,
    outcome TEXT,
    reason TEXT,
    error_code TEXT,
    error_message TEXT,
    error_context TEXT,
    log_tail TEXT,
    metrics TEXT,
    steps TEXT,
    parent_run_id TEXT,
    updated_at BIGINT NOT NULL
  )`,
  // The queue's hot path: queued runs in due order.
  `CREATE INDEX runs_claim ON runs (status, run_at, id)`,
  // Single-flight, enforced by the database itself: at most one running run per (tenant, job).
  `CREATE UNIQUE INDEX runs_single_flight ON runs (tenant_id, job_id) WHERE status = 'running'`,
  // A schedule slot produces at most one run, whatever the number of nodes.
  `CREATE UNIQUE INDEX runs_slot ON runs (schedule_id, slot_at) WHERE schedule_id IS NOT NULL`,
  `CREATE INDEX runs_history ON runs (tenant_id, job_id, queued_at)`,
  `CREATE INDEX runs_finished ON runs (job_id, status, finished_at)`,
  `CREATE INDEX runs_lease ON runs (status, lease_expires_at)`,
  `CREATE TABLE run_attempts (
    run_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    tenant_id TEXT NOT NULL,
    status TEXT NOT NULL,
    worker TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    duration_ms BIGINT,
    exit_code INTEGER,
    error_message TEXT,
    PRIMARY KEY (run_id, attempt)
  )`,
];
