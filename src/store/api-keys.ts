/** API keys: inserted, listed, looked up by id, revoked. Never deleted (see migration 0017). */
import type { Executor } from './db.ts';
import type { ApiKeysTable } from './schema.ts';

export type ApiKeyRow = ApiKeysTable;

export async function insertApiKey(x: Executor, row: ApiKeyRow): Promise<void> {
  await x.insertInto('api_keys').values(row).execute();
}

export async function getApiKey(x: Executor, id: string): Promise<ApiKeyRow | undefined> {
  return x.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Every key (tenant '*' included) when `tenant` is null, else the keys of that one tenant; oldest first. */
export async function listApiKeys(x: Executor, tenant: string | null): Promise<ApiKeyRow[]> {
  let q = x.selectFrom('api_keys').selectAll();
  if (tenant !== null) q = q.where('tenant', '=', tenant);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** How many keys were ever created (revoked ones count: the first-start key is made only once). */
export async function countApiKeys(x: Executor): Promise<number> {
  const row = await x.selectFrom('api_keys').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Revokes the key unless it already was; false when there is no such live key. */
export async function revokeApiKey(x: Executor, id: string, now: number): Promise<boolean> {
  const result = await x.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
