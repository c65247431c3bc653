/**
 * Migration 16: what monitoring reads and writes. Plain SQL that SQLite and PostgreSQL both accept.
 *
 * - alerts: each alert's lifecycle (open → acknowledged → resolved). At most one alert not yet
 *   resolved per (tenant, model, type, subject), enforced by a unique partial index, so two nodes
 *   evaluating at once cannot open it twice. model_name is '' for an alert about the tenant rather
 *   than a model (NOTIFICATION_FAILING), subject the channel it is about ('' otherwise).
 * - model_live_points: the champion's live metric each time late labels arrive, with the trend of
 *   the version's latest points computed when the point is written (a monitor pass reads one row
 *   per model, never a whole series).
 * - runs_model_finished: a model's ended trainings in one tenant by end time. A monitor pass seeks it
 *   a few times per model (trainings in the window, the failure streak, the latest one); the
 *   existing (job_id, finished_at) index holds every tenant's runs of a job id that models declared
 *   in config share, and (tenant_id, job_id, queued_at) is not ordered by end.
 * - assessments gain the drift rule's verdict, value and threshold and the champion assessed, as
 *   columns: DATA_DRIFT reads them without parsing every stored assessment, the latest one per model
 *   from the assessments_drift index.
 */
export const name = 'alerts';

export const statements = [
  `CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    type TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    value DOUBLE PRECISION,
    threshold DOUBLE PRECISION,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT,
    resolved_at BIGINT,
    resolution TEXT
  )`,
  `CREATE UNIQUE INDEX alerts_one_active ON alerts (tenant_id, model_name, type, subject) WHERE status <> 'resolved'`,
  `CREATE INDEX alerts_tenant_opened ON alerts (tenant_id, opened_at)`,
  `CREATE INDEX alerts_status ON alerts (status, opened_at)`,
  `CREATE INDEX alerts_resolved ON alerts (resolved_at)`,
  `CREATE TABLE model_live_points (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    at BIGINT NOT NULL,
    version INTEGER NOT NULL,
    metric TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    accuracy DOUBLE PRECISION,
    labelled INTEGER NOT NULL,
    trend TEXT NOT NULL,
    slope DOUBLE PRECISION,
    PRIMARY KEY (tenant_id, model_name, at)
  )`,
  `CREATE INDEX runs_model_finished ON runs (tenant_id, job_id, finished_at, id)`,
  `ALTER TABLE assessments ADD COLUMN drift_verdict TEXT`,
  `ALTER TABLE assessments ADD COLUMN drift_value DOUBLE PRECISION`,
  `ALTER TABLE assessments ADD COLUMN drift_threshold DOUBLE PRECISION`,
  `ALTER TABLE assessments ADD COLUMN champion_version INTEGER`,
  `CREATE INDEX assessments_drift ON assessments (tenant_id, model_name, at, id) WHERE drift_verdict IS NOT NULL`,
];
