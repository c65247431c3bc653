/**
 * Model aliases (`champion`) and their history: one history row per change, numbered by the alias
 * row's revision. Callers change an alias only while holding the model lock (lockModel), so the
 * revision read, the alias write and the history insert form one serialized step.
 */
import type { Executor } from './db.ts';
import type { ModelVersionRow } from './model-versions.ts';
import type { ModelAliasesTable, ModelAliasHistoryTable } from './schema.ts';
import { ALL_TENANTS, type TenantScope } from './tenant-scope.ts';

export type ModelAliasRow = ModelAliasesTable;
export type AliasHistoryRow = ModelAliasHistoryTable;

export async function getAliasRow(x: Executor, tenantId: string, modelName: string, alias: string): Promise<ModelAliasRow | undefined> {
  return x
    .selectFrom('model_aliases')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('alias', '=', alias)
    .executeTakeFirst();
}

/** The version an alias points at, read in one statement. */
export async function getAliasedVersionRow(x: Executor, tenantId: string, modelName: string, alias: string): Promise<ModelVersionRow | undefined> {
  return x
    .selectFrom('model_aliases as a')
    .innerJoin('model_versions as v', (j) =>
      j.onRef('v.tenant_id', '=', 'a.tenant_id').onRef('v.model_name', '=', 'a.model_name').onRef('v.version', '=', 'a.version'),
    )
    .selectAll('v')
    .where('a.tenant_id', '=', tenantId)
    .where('a.model_name', '=', modelName)
    .where('a.alias', '=', alias)
    .executeTakeFirst();
}

/** Points the alias at row.version with row.revision (creating the alias at its first change). */
export async function putAlias(x: Executor, row: ModelAliasRow): Promise<void> {
  await x
    .insertInto('model_aliases')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'model_name', 'alias']).doUpdateSet({ version: row.version, revision: row.revision, updated_at: row.updated_at }),
    )
    .execute();
}

export async function insertAliasHistory(x: Executor, row: AliasHistoryRow): Promise<void> {
  await x.insertInto('model_alias_history').values(row).execute();
}

/** Newest first; `before` is the last revision of the previous page. */
export async function listAliasHistoryRows(
  x: Executor,
  tenantId: string,
  modelName: string,
  alias: string,
  page: { limit: number; before?: number },
): Promise<AliasHistoryRow[]> {
  let q = x
    .selectFrom('model_alias_history')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('alias', '=', alias);
  if (page.before !== undefined) q = q.where('revision', '<', page.before);
  return q.orderBy('revision', 'desc').limit(page.limit).execute();
}

/** Whether the run moved the alias (its promotion committed). */
export async function aliasChangedByRun(x: Executor, tenantId: string, modelName: string, alias: string, runId: string): Promise<boolean> {
  const row = await x
    .selectFrom('model_alias_history')
    .select('revision')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('alias', '=', alias)
    .where('run_id', '=', runId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Every declared model of the scope with the version its alias points at (null: none yet), in one statement. */
export async function listDeclaredAliases(x: Executor, scope: TenantScope, alias: string): Promise<Array<{ tenant_id: string; model_name: string; version: number | null }>> {
  const q = x
    .selectFrom('model_definitions as d')
    .leftJoin('model_aliases as a', (j) => j.onRef('a.tenant_id', '=', 'd.tenant_id').onRef('a.model_name', '=', 'd.name').on('a.alias', '=', alias))
    .select(['d.tenant_id as tenant_id', 'd.name as model_name', 'a.version as version'])
    .$if(scope !== ALL_TENANTS, (w) => w.where('d.tenant_id', '=', scope as string));
  const rows = await q.orderBy('d.tenant_id').orderBy('d.name').execute();
  return rows.map((r) => ({ tenant_id: r.tenant_id, model_name: r.model_name, version: r.version === null ? null : Number(r.version) }));
}
