import type { TenantService } from '../../services/tenant-service.ts';
import { tenantDto } from '../dto.ts';
import { errors, Tenant, TenantBody } from '../schemas.ts';
import type { Api } from '../types.ts';
import { Type } from 'typebox';

export function tenantRoutes(app: Api, tenants: TenantService): void {
  app.get('/api/tenants', { schema: { tags: ['tenants'], summary: 'List tenants', response: { 200: Type.Object({ tenants: Type.Array(Tenant) }) } } }, async () => ({
    tenants: (await tenants.list()).map(tenantDto),
  }));

  app.post(
    '/api/tenants',
    { schema: { tags: ['tenants'], summary: 'Create a tenant (or update its name and zone)', body: TenantBody, response: { 200: Tenant, 201: Tenant, ...errors(400, 409) } } },
    async (request, reply) => {
      const { created, tenant } = await tenants.upsert(request.body);
      return reply.status(created ? 201 : 200).send(tenantDto(tenant));
    },
  );
}
