/**
 * Migration 11: artifacts stored in the database, for NIGHTSHIFT_ARTIFACTS=postgres (the default
 * with DATABASE_URL), so that a version registered on one node can be served, rolled back to and
 * continued on any other. Plain SQL that SQLite and PostgreSQL both accept; on SQLite the tables
 * stay empty (artifacts there are always files). SQLite gives BYTEA numeric affinity, which leaves
 * blobs as they are.
 *
 * - artifacts: one row per (tenant, sha256 of the plaintext): sizes, how many chunks, the codec the
 *   bytes were stored with. Inserted in the transaction that inserts the first version using the
 *   content, so a version and its artifact commit together; the row is what makes it visible.
 * - artifact_chunks: the stored (codec-encoded) bytes in rows of at most 1 MiB, numbered from 0, so
 *   no single value or protocol message gets large (a GBDT artifact can be tens of MB). Deleting the
 *   artifacts row deletes its chunks.
 */
export const name = 'artifacts';

export const statements = [
  `CREATE TABLE artifacts (
    tenant_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    stored_size BIGINT NOT NULL,
    chunk_count INTEGER NOT NULL,
    codec TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
  )`,
  `CREATE TABLE artifact_chunks (
    tenant_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    seq INTEGER NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, sha256, seq),
    FOREIGN KEY (tenant_id, sha256) REFERENCES artifacts (tenant_id, sha256) ON DELETE CASCADE
  )`,
];
