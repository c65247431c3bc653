/** Models declared per tenant: every query takes the tenant. */
import { createHash } from 'node:crypto';
import type { ModelDefinition } from '../training/model-definition.ts';
import type { Executor } from './db.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export type ModelOrigin = 'config' | 'api';

export interface StoredModel {
  tenantId: string;
  jobId: string;
  origin: ModelOrigin;
  definition: ModelDefinition;
  createdAt: number;
  updatedAt: number;
}

export const definitionHash = (def: ModelDefinition, jobId: string): string =>
  createHash('sha1').update(JSON.stringify([def, jobId])).digest('hex').slice(0, 16);

const storedOf = (r: { tenant_id: string; job_id: string; origin: string; spec: string; created_at: number; updated_at: number }): StoredModel => ({
  tenantId: r.tenant_id,
  jobId: r.job_id,
  origin: r.origin as ModelOrigin,
  definition: JSON.parse(r.spec) as ModelDefinition,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export async function getModelDefinition(x: Executor, tenantId: string, name: string): Promise<StoredModel | null> {
  const row = await x.selectFrom('model_definitions').selectAll().where('tenant_id', '=', tenantId).where('name', '=', name).executeTakeFirst();
  return row ? storedOf(row) : null;
}

export async function listModelDefinitions(x: Executor, scope: TenantScope): Promise<StoredModel[]> {
  return (await inScope(x.selectFrom('model_definitions').selectAll(), scope).orderBy('tenant_id').orderBy('name').execute()).map(storedOf);
}

/**
 * Writes a declaration. From config (`declaredHash` given) it is skipped when the file's definition
 * is the one config applied last time: an API edit made since then stands. Returns what happened.
 */
export async function upsertModelDefinition(
  x: Executor,
  tenantId: string,
  def: ModelDefinition,
  jobId: string,
  origin: ModelOrigin,
  now: number,
): Promise<'created' | 'updated' | 'unchanged'> {
  const existing = await x.selectFrom('model_definitions').selectAll().where('tenant_id', '=', tenantId).where('name', '=', def.name).executeTakeFirst();
  const spec = JSON.stringify(def);
  const declared = origin === 'config' ? definitionHash(def, jobId) : null;
  if (!existing) {
    await x
      .insertInto('model_definitions')
      .values({ tenant_id: tenantId, name: def.name, job_id: jobId, spec, origin, declared_hash: declared, created_at: now, updated_at: now })
      .execute();
    return 'created';
  }
  if (origin === 'config' && existing.declared_hash === declared) return 'unchanged';
  if (existing.spec === spec && existing.job_id === jobId && (declared === null || existing.declared_hash === declared)) return 'unchanged';
  await x
    .updateTable('model_definitions')
    .set({ spec, job_id: jobId, origin, updated_at: now, ...(declared !== null ? { declared_hash: declared } : {}) })
    .where('tenant_id', '=', tenantId)
    .where('name', '=', def.name)
    .execute();
  return 'updated';
}
