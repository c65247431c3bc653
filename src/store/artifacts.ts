/**
 * Artifacts stored in the database (NIGHTSHIFT_ARTIFACTS=postgres): one `artifacts` row per (tenant,
 * sha256) and its bytes in `artifact_chunks`. Every statement takes the tenant: a hash alone never
 * reaches another tenant's artifact. Writes run in the caller's transaction, under the artifact's
 * lock (lockArtifact in model-versions.ts).
 */
import type { Executor } from './db.ts';
import type { ArtifactChunksTable, ArtifactsTable } from './schema.ts';

export type ArtifactRow = ArtifactsTable;
export type ArtifactChunkRow = ArtifactChunksTable;

export async function getArtifactRow(x: Executor, tenantId: string, sha256: string): Promise<ArtifactRow | undefined> {
  return x.selectFrom('artifacts').selectAll().where('tenant_id', '=', tenantId).where('sha256', '=', sha256).executeTakeFirst();
}

/** The row that makes an artifact visible; insert its chunks in the same transaction. */
export async function insertArtifact(x: Executor, row: ArtifactRow): Promise<void> {
  await x.insertInto('artifacts').values(row).execute();
}

export async function insertArtifactChunk(x: Executor, row: ArtifactChunkRow): Promise<void> {
  await x.insertInto('artifact_chunks').values(row).execute();
}

/** Chunks from `fromSeq` on, in order, at most `limit` of them. */
export async function readArtifactChunks(
  x: Executor,
  tenantId: string,
  sha256: string,
  page: { fromSeq: number; limit: number },
): Promise<Array<Pick<ArtifactChunkRow, 'seq' | 'bytes'>>> {
  return x
    .selectFrom('artifact_chunks')
    .select(['seq', 'bytes'])
    .where('tenant_id', '=', tenantId)
    .where('sha256', '=', sha256)
    .where('seq', '>=', page.fromSeq)
    .orderBy('seq')
    .limit(page.limit)
    .execute();
}

/** Drops the chunks of an artifact that is being re-encoded (a key rotation); insert the new ones in the same transaction. */
export async function deleteArtifactChunks(x: Executor, tenantId: string, sha256: string): Promise<void> {
  await x.deleteFrom('artifact_chunks').where('tenant_id', '=', tenantId).where('sha256', '=', sha256).execute();
}

/** The new encoding of a re-encoded artifact (same plaintext, same hash). */
export async function updateArtifactEncoding(x: Executor, tenantId: string, sha256: string, encoding: Pick<ArtifactRow, 'stored_size' | 'chunk_count' | 'codec'>): Promise<void> {
  await x.updateTable('artifacts').set(encoding).where('tenant_id', '=', tenantId).where('sha256', '=', sha256).execute();
}

/** Deletes the artifact row; its chunks go with it (ON DELETE CASCADE). True when there was one. */
export async function deleteArtifact(x: Executor, tenantId: string, sha256: string): Promise<boolean> {
  const result = await x.deleteFrom('artifacts').where('tenant_id', '=', tenantId).where('sha256', '=', sha256).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Deletes every artifact row of the tenant, their chunks with them (ON DELETE CASCADE); returns how many. */
export async function deleteTenantArtifacts(x: Executor, tenantId: string): Promise<number> {
  const result = await x.deleteFrom('artifacts').where('tenant_id', '=', tenantId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Artifact rows ordered by (tenant, sha256), after the given key (keyset pagination). */
export async function listArtifactRows(
  x: Executor,
  page: { after: { tenantId: string; sha256: string } | null; limit: number },
): Promise<Array<Pick<ArtifactRow, 'tenant_id' | 'sha256' | 'created_at'>>> {
  let q = x.selectFrom('artifacts').select(['tenant_id', 'sha256', 'created_at']);
  const after = page.after;
  if (after) q = q.where((eb) => eb.or([eb('tenant_id', '>', after.tenantId), eb.and([eb('tenant_id', '=', after.tenantId), eb('sha256', '>', after.sha256)])]));
  return q.orderBy('tenant_id').orderBy('sha256').limit(page.limit).execute();
}
