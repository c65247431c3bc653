import type { Engine } from '../../engine.ts';
import { NsError } from '../../errors.ts';
import { assertTimeZone } from '../../schedule/index.ts';
import { getTenant, listTenants } from '../../store/tenants.ts';
import { tenantDto } from '../dto.ts';
import { errors, Tenant, TenantBody } from '../schemas.ts';
import type { Api } from '../types.ts';
import { Type } from 'typebox';

export function tenantRoutes(app: Api, engine: Engine): void {
  app.get('/api/tenants', { schema: { tags: ['tenants'], summary: 'List tenants', response: { 200: Type.Object({ tenants: Type.Array(Tenant) }) } } }, async () => ({
    tenants: (await listTenants(engine.db.k)).map(tenantDto),
  }));

  app.post(
    '/api/tenants',
    { schema: { tags: ['tenants'], summary: 'Create a tenant (or update its name and zone)', body: TenantBody, response: { 200: Tenant, 201: Tenant, ...errors(400, 409) } } },
    async (request, reply) => {
      const { id, name, timezone } = request.body;
      let zone = timezone ?? engine.settings.timezone;
      try {
        zone = assertTimeZone(zone, 'timezone');
      } catch (error) {
        throw new NsError('NS_VALIDATION', (error as Error).message, { field: 'timezone' });
      }
      const existed = (await getTenant(engine.db.k, id)) !== undefined;
      await engine.createTenant({ id, name: name ?? id, timezone: zone });
      return reply.status(existed ? 200 : 201).send(tenantDto((await getTenant(engine.db.k, id))!));
    },
  );
}
