/**
 * Migration 3: tenant datasets and their samples. Plain SQL that SQLite and PostgreSQL both accept.
 *
 * A sample is one narrow row: entity, time, label, and the feature values packed into one binary
 * column (Float64 little-endian, schema order; NaN = missing; categoricals as codes into
 * dataset_categories). The unique index serves counting since a time, loading a window in
 * (ts, entity) order, and makes re-sending a batch idempotent (same entity and time → replaced).
 * SQLite gives BYTEA numeric affinity, which leaves blobs as they are.
 */
export const name = 'datasets';

export const statements = [
  `CREATE TABLE datasets (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    id TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    ts_column TEXT NOT NULL,
    features TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_ingest_at BIGINT,
    PRIMARY KEY (tenant_id, id)
  )`,
  `CREATE TABLE dataset_categories (
    tenant_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    feature TEXT NOT NULL,
    code INTEGER NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, dataset_id, feature, code)
  )`,
  `CREATE UNIQUE INDEX dataset_categories_value ON dataset_categories (tenant_id, dataset_id, feature, value)`,
  `CREATE TABLE samples (
    tenant_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    ts BIGINT NOT NULL,
    entity TEXT NOT NULL,
    label DOUBLE PRECISION,
    vals BYTEA NOT NULL
  )`,
  `CREATE UNIQUE INDEX samples_window ON samples (tenant_id, dataset_id, ts, entity)`,
];
