import type { Engine } from '../engine.ts';
import { NsError } from '../errors.ts';
import { listTenants } from '../store/tenants.ts';

/** A tenant id from the request, or the only tenant in the store when there is just one. */
export async function tenantOrDefault(engine: Engine, given: string | undefined, field = 'tenantId'): Promise<string> {
  if (given) return given;
  const tenants = await listTenants(engine.db.k);
  if (tenants.length === 1) return tenants[0]!.id;
  throw new NsError('NS_VALIDATION', `${field}: required when several tenants exist (${tenants.map((t) => t.id).join(', ')})`, { field });
}
