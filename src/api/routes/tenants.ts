import type { TenantService } from '../../services/tenant-service.ts';
import { tenantDto } from '../dto.ts';
import { described, errors, NoQuery, Tenant, TenantBody } from '../schemas.ts';
import type { Api } from '../types.ts';
import { Type } from 'typebox';

export function tenantRoutes(app: Api, tenants: TenantService): void {
  app.get(
    '/api/tenants',
    {
      schema: {
        operationId: 'listTenants',
        tags: ['tenants'],
        summary: 'List tenants',
        querystring: NoQuery,
        response: { 200: described(Type.Object({ tenants: Type.Array(Tenant) }), 'Every tenant, by id'), ...errors(400) },
      },
    },
    async () => ({ tenants: (await tenants.list()).map(tenantDto) }),
  );

  app.post(
    '/api/tenants',
    {
      schema: {
        operationId: 'createTenant',
        tags: ['tenants'],
        summary: 'Create a tenant (or update its name and zone)',
        body: TenantBody,
        response: { 200: described(Tenant, 'The tenant existed: its name and zone as updated'), 201: described(Tenant, 'The tenant, created'), ...errors(400, 409) },
      },
    },
    async (request, reply) => {
      const { created, tenant } = await tenants.upsert(request.body);
      return reply.status(created ? 201 : 200).send(tenantDto(tenant));
    },
  );
}
