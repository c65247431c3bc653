/** Each version's reference profile of its training window (drift compares recent data with the champion's). */
import type { Executor } from './db.ts';

export async function insertModelProfile(x: Executor, row: { tenantId: string; modelName: string; version: number; profile: string }): Promise<void> {
  await x.insertInto('model_profiles').values({ tenant_id: row.tenantId, model_name: row.modelName, version: row.version, profile: row.profile }).execute();
}

export async function getModelProfile(x: Executor, tenantId: string, modelName: string, version: number): Promise<string | null> {
  const row = await x
    .selectFrom('model_profiles')
    .select('profile')
    .where('tenant_id', '=', tenantId)
    .where('model_name', '=', modelName)
    .where('version', '=', version)
    .executeTakeFirst();
  return row?.profile ?? null;
}

/** Profiles of versions retention removed. */
export async function deleteModelProfiles(x: Executor, tenantId: string, modelName: string, versions: readonly number[]): Promise<void> {
  if (versions.length === 0) return;
  await x.deleteFrom('model_profiles').where('tenant_id', '=', tenantId).where('model_name', '=', modelName).where('version', 'in', [...versions]).execute();
}
