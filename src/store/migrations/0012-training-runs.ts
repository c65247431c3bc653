/**
 * Migration 12: what one training pipeline records for its run. Plain SQL that SQLite and
 * PostgreSQL both accept.
 *
 * - run_stages: one row per pipeline stage of an attempt (load, features, decide, train, evaluate,
 *   gate, register, promote) with its times and counts, written by the training process as each
 *   stage ends, under the run's lease.
 * - run_inputs: bytes a run needs that its request carried (an ONNX import's model), written with the
 *   run so that whichever node claims it can read them.
 * - runs.result: the training's typed result (outcome, version, gate, metrics) as JSON.
 * - model_versions.compared_to: the champion the candidate was scored against, so a retried attempt
 *   promotes only if that is still the champion.
 * - At most one version per run: a retried attempt finishes with the version an earlier one
 *   registered. Duplicates left by older releases (kill -9 during a retried training) keep their
 *   rows but lose the run link, oldest version kept.
 */
export const name = 'training-runs';

export const statements = [
  `CREATE TABLE run_stages (
    run_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    tenant_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    counts TEXT NOT NULL,
    note TEXT,
    PRIMARY KEY (run_id, attempt, seq)
  )`,
  `CREATE TABLE run_inputs (
    run_id TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, name)
  )`,
  `ALTER TABLE runs ADD COLUMN result TEXT`,
  `ALTER TABLE model_versions ADD COLUMN compared_to INTEGER`,
  `UPDATE model_versions SET run_id = NULL
     WHERE run_id IS NOT NULL AND version > (
       SELECT MIN(v2.version) FROM model_versions v2
       WHERE v2.tenant_id = model_versions.tenant_id AND v2.model_name = model_versions.model_name AND v2.run_id = model_versions.run_id)`,
  `CREATE UNIQUE INDEX model_versions_run ON model_versions (tenant_id, run_id) WHERE run_id IS NOT NULL`,
];
