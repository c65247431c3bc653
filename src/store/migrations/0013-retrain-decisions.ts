/**
 * Migration 13: what the retrain decision reads and writes. Plain SQL that SQLite and PostgreSQL
 * both accept.
 *
 * - model_profiles: each version's reference profile of its training window (drift.ts), written
 *   with the version; drift compares recent data with the champion's.
 * - assessments: every decision with its rules, values, thresholds and verdicts, and the run it
 *   belongs to (null for a dry run that was asked to be kept).
 * - prediction_log: predictions served through the API, sampled and bounded per model, keyed by
 *   entity and time, so labels ingested later give the champion's live metric.
 */
export const name = 'retrain-decisions';

export const statements = [
  `CREATE TABLE model_profiles (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    profile TEXT NOT NULL,
    PRIMARY KEY (tenant_id, model_name, version)
  )`,
  `CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    run_id TEXT,
    at BIGINT NOT NULL,
    train INTEGER NOT NULL,
    reason TEXT NOT NULL,
    assessment TEXT NOT NULL
  )`,
  `CREATE INDEX assessments_model ON assessments (tenant_id, model_name, at)`,
  `CREATE INDEX assessments_run ON assessments (run_id)`,
  `CREATE TABLE prediction_log (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    entity TEXT NOT NULL,
    ts BIGINT NOT NULL,
    version INTEGER NOT NULL,
    prediction DOUBLE PRECISION NOT NULL,
    score DOUBLE PRECISION,
    logged_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, model_name, entity, ts, version)
  )`,
  `CREATE INDEX prediction_log_time ON prediction_log (tenant_id, model_name, logged_at)`,
];
