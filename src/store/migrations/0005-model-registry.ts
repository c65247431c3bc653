/**
 * Migration 5: the per-tenant model registry. Plain SQL that SQLite and PostgreSQL both accept.
 *
 * - model_version_counters: one row per (tenant, model), the last version number handed out. The
 *   next number is taken by an upsert in the same transaction as the version insert, so numbers are
 *   never raced, never reused after retention, and a rolled-back registration leaves no gap. The row
 *   is also what promotions and retention lock (it exists before any alias does).
 * - model_versions: metadata of each version; the artifact itself is a content-addressed file
 *   (sha256) under the data dir. was_champion marks versions retention must keep.
 * - model_aliases: the current version of each alias (`champion`), with a revision counter.
 * - model_alias_history: every change of an alias (promote, rollback), one row per revision.
 */
export const name = 'model-registry';

export const statements = [
  `CREATE TABLE model_version_counters (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    last_version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, model_name)
  )`,
  `CREATE TABLE model_versions (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    trainer TEXT NOT NULL,
    params TEXT NOT NULL,
    mode TEXT NOT NULL,
    parent_version INTEGER,
    data_since BIGINT,
    data_until BIGINT,
    train_samples INTEGER NOT NULL,
    holdout_samples INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    gate_passed INTEGER NOT NULL,
    gate_reasons TEXT NOT NULL,
    artifact_sha256 TEXT NOT NULL,
    artifact_size BIGINT NOT NULL,
    training_ms BIGINT NOT NULL,
    trigger TEXT NOT NULL,
    run_id TEXT,
    was_champion INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, model_name, version)
  )`,
  `CREATE UNIQUE INDEX model_versions_name ON model_versions (tenant_id, name)`,
  // Is this artifact still referenced (by any model of the tenant)?
  `CREATE INDEX model_versions_artifact ON model_versions (tenant_id, artifact_sha256)`,
  `CREATE TABLE model_aliases (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    alias TEXT NOT NULL,
    version INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, model_name, alias)
  )`,
  `CREATE TABLE model_alias_history (
    tenant_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    alias TEXT NOT NULL,
    revision INTEGER NOT NULL,
    version INTEGER NOT NULL,
    previous_version INTEGER,
    action TEXT NOT NULL,
    reason TEXT,
    actor TEXT,
    run_id TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, model_name, alias, revision)
  )`,
];
