/**
 * Migration 6: models declared per tenant (config file or API). `spec` is the validated
 * ModelDefinition as JSON; `job_id` the train job that trains it. `declared_hash` is the hash of
 * the definition the config file last applied: config re-applies a model only when the file's
 * definition changes, so edits made over the API survive a restart (as for schedules).
 */
export const name = 'model-definitions';

export const statements = [
  `CREATE TABLE model_definitions (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    job_id TEXT NOT NULL,
    spec TEXT NOT NULL,
    origin TEXT NOT NULL,
    declared_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
  )`,
];
