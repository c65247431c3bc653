/**
 * Model versions and their per-(tenant, model) counter. Every statement takes the tenant: a model
 * name or an artifact hash alone never reaches another tenant's rows.
 */
import { sql } from 'kysely';
import type { DialectName, Executor } from './db.ts';
import type { ModelVersionsTable } from './schema.ts';

export type ModelVersionRow = ModelVersionsTable;

/**
 * Takes the next version number of (tenant, model): one upsert that creates the counter row at 1 or
 * increments it, returning the new value. Called inside the registering transaction, so concurrent
 * registrations queue on the counter row and a rolled-back one gives its number back.
 */
export async function takeNextVersion(x: Executor, tenantId: string, modelName: string, now: number): Promise<number> {
  const row = await x
    .insertInto('model_version_counters')
    .values({ tenant_id: tenantId, model_name: modelName, last_version: 1, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'model_name']).doUpdateSet({
        last_version: sql<number>`model_version_counters.last_version + 1`,
        updated_at: now,
      }),
    )
    .returning('last_version')
    .executeTakeFirstOrThrow();
  return Number(row.last_version);
}

/**
 * Locks (tenant, model) for an alias change or retention: the counter row FOR UPDATE on PostgreSQL;
 * on SQLite the caller's BEGIN IMMEDIATE already holds the write lock. The counter row exists as
 * soon as one version does, unlike the alias row, so even the first two promotions serialize.
 * Returns the last version number handed out, or undefined when the model has no version.
 */
export async function lockModel(x: Executor, dialect: DialectName, tenantId: string, modelName: string): Promise<number | undefined> {
  const row = await x
    .selectFrom('model_version_counters')
    .select('last_version')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  return row ? Number(row.last_version) : undefined;
}

/**
 * Serializes the placing of one artifact file with its garbage collection (PostgreSQL advisory
 * lock for the transaction; SQLite serializes writers anyway). Keys stay at or above 2^32 so that
 * they never meet the small global LOCK_KEYS.
 */
export async function lockArtifact(x: Executor, dialect: DialectName, tenantId: string, sha256: string): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select pg_advisory_xact_lock(${artifactLockKey(tenantId, sha256)})`.execute(x);
}

export function artifactLockKey(tenantId: string, sha256: string): number {
  const text = `artifact\u0000${tenantId}\u0000${sha256}`;
  const fnv = (seed: number) => {
    let h = seed;
    for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return h;
  };
  return ((fnv(0x811c9dc5) & 0xffff) + 1) * 2 ** 32 + fnv(0x050c5d1f);
}

export async function insertModelVersion(x: Executor, row: ModelVersionRow): Promise<void> {
  await x.insertInto('model_versions').values(row).execute();
}

export async function getModelVersionRow(x: Executor, tenantId: string, modelName: string, version: number): Promise<ModelVersionRow | undefined> {
  return x
    .selectFrom('model_versions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('version', '=', version)
    .executeTakeFirst();
}

/** Newest first; `before` is the last version of the previous page (keyset pagination). */
export async function listModelVersionRows(
  x: Executor,
  tenantId: string,
  modelName: string,
  page: { limit: number; before?: number },
): Promise<ModelVersionRow[]> {
  let q = x.selectFrom('model_versions').selectAll().where('tenant_id', '=', tenantId).where('model_name', '=', modelName);
  if (page.before !== undefined) q = q.where('version', '<', page.before);
  return q.orderBy('version', 'desc').limit(page.limit).execute();
}

export async function markWasChampion(x: Executor, tenantId: string, modelName: string, version: number): Promise<void> {
  await x
    .updateTable('model_versions')
    .set({ was_champion: 1 })
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('version', '=', version)
    .execute();
}

/**
 * What retention deletes: versions outside the newest `keep`, other than the current champion and
 * the `keepChampions` versions that were champion most recently before it (ordered by their last
 * change of the champion alias, so a version rolled back to counts as recent).
 */
export async function versionsBeyondRetention(
  x: Executor,
  tenantId: string,
  modelName: string,
  keep: number,
  keepChampions: number,
): Promise<Array<Pick<ModelVersionRow, 'version' | 'artifact_sha256'>>> {
  const newest = x
    .selectFrom('model_versions')
    .select('version')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .orderBy('version', 'desc')
    .limit(keep);
  const current = x.selectFrom('model_aliases').select('version').where('tenant_id', '=', tenantId).where('model_name', '=', modelName).where('alias', '=', 'champion');
  // The current champion holds the latest revision: the newest keepChampions + 1 are it and the K before it.
  const recentChampions = x
    .selectFrom('model_alias_history')
    .select('version')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('alias', '=', 'champion')
    .groupBy('version')
    .orderBy((eb) => eb.fn.max('revision'), 'desc')
    .limit(keepChampions + 1);
  return x
    .selectFrom('model_versions')
    .select(['version', 'artifact_sha256'])
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('version', 'not in', newest)
    .where('version', 'not in', current)
    .where('version', 'not in', recentChampions)
    .orderBy('version')
    .execute();
}

export async function deleteModelVersions(x: Executor, tenantId: string, modelName: string, versions: readonly number[]): Promise<number> {
  if (versions.length === 0) return 0;
  const result = await x
    .deleteFrom('model_versions')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('version', 'in', [...versions])
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Which of these artifact hashes some version of the tenant (any model) still references. */
export async function referencedArtifacts(x: Executor, tenantId: string, sha256s: readonly string[]): Promise<Set<string>> {
  if (sha256s.length === 0) return new Set();
  const rows = await x
    .selectFrom('model_versions')
    .select('artifact_sha256')
    .distinct()
    .where('tenant_id', '=', tenantId)
    .where('artifact_sha256', 'in', [...sha256s])
    .execute();
  return new Set(rows.map((r) => r.artifact_sha256));
}

/** Distinct (tenant, artifact) pairs some version references, ordered, after the given key (keyset pagination). */
export async function listReferencedArtifacts(
  x: Executor,
  page: { after: { tenantId: string; sha256: string } | null; limit: number },
): Promise<Array<{ tenant_id: string; artifact_sha256: string }>> {
  let q = x.selectFrom('model_versions').select(['tenant_id', 'artifact_sha256']).distinct();
  const after = page.after;
  if (after) {
    q = q.where((eb) =>
      eb.or([eb('tenant_id', '>', after.tenantId), eb.and([eb('tenant_id', '=', after.tenantId), eb('artifact_sha256', '>', after.sha256)])]),
    );
  }
  return q.orderBy('tenant_id').orderBy('artifact_sha256').limit(page.limit).execute();
}

/** Names of the versions of the tenant (any model) whose artifact this is, oldest first, at most `limit`. */
export async function versionNamesOfArtifact(x: Executor, tenantId: string, sha256: string, limit: number): Promise<string[]> {
  const rows = await x
    .selectFrom('model_versions')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .where('artifact_sha256', '=', sha256)
    .orderBy('created_at')
    .orderBy('name')
    .limit(limit)
    .execute();
  return rows.map((r) => r.name);
}

/** The version a run registered, if any (at most one: a unique index on (tenant, run)). */
export async function getVersionOfRun(x: Executor, tenantId: string, runId: string): Promise<ModelVersionRow | undefined> {
  return x.selectFrom('model_versions').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', runId).executeTakeFirst();
}
