import type { Engine } from '../engine.ts';
import { NsError } from '../errors.ts';

/** A tenant id from the request, or the only declared tenant when there is just one. */
export function tenantOrDefault(engine: Engine, given: string | undefined, field = 'tenantId'): string {
  if (given) return given;
  const tenants = engine.settings.tenants;
  if (tenants.length === 1) return tenants[0]!.id;
  throw new NsError('NS_VALIDATION', `${field}: required when several tenants exist (${tenants.map((t) => t.id).join(', ')})`, { field });
}
