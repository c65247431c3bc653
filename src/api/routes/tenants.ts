import type { TenantService } from '../../services/tenant-service.ts';
import { tenantDto } from '../dto.ts';
import { described, errors, IdParams, NoQuery, Tenant, TenantBody, TenantChangeBody } from '../schemas.ts';
import type { Api } from '../types.ts';
import { Type } from 'typebox';

const DeleteQuery = Type.Object(
  { force: Type.Optional(Type.Boolean({ default: false, description: 'delete the tenant with all its data: schedules, runs, datasets and samples, models, versions and artifacts' })) },
  { additionalProperties: false },
);
const Deleted = Type.Object({
  id: Type.String(),
  deleted: Type.Object(
    { schedules: Type.Integer(), runs: Type.Integer(), datasets: Type.Integer(), samples: Type.Integer(), models: Type.Integer(), versions: Type.Integer(), artifacts: Type.Integer() },
    { description: 'what went with the tenant' },
  ),
});

export function tenantRoutes(app: Api, tenants: TenantService): void {
  app.get(
    '/api/tenants',
    {
      schema: {
        operationId: 'listTenants',
        tags: ['tenants'],
        summary: 'List tenants',
        querystring: NoQuery,
        response: { 200: described(Type.Object({ tenants: Type.Array(Tenant) }), 'The tenants the caller may see (a super admin: every one), by id'), ...errors(400) },
      },
    },
    async (request) => {
      const mine = request.principal?.tenants ?? '*';
      const all = await tenants.list();
      return { tenants: (mine === '*' ? all : all.filter((t) => mine.includes(t.id))).map(tenantDto) };
    },
  );

  app.post(
    '/api/tenants',
    {
      schema: {
        operationId: 'createTenant',
        tags: ['tenants'],
        summary: 'Create a tenant; 409 when the id is taken (change one with PUT)',
        querystring: NoQuery,
        body: TenantBody,
        response: { 201: described(Tenant, 'The tenant, created'), ...errors(400, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(tenantDto(await tenants.create(request.body))),
  );

  app.put(
    '/api/tenants/:id',
    {
      schema: {
        operationId: 'updateTenant',
        tags: ['tenants'],
        summary: "Change a tenant's name or time zone (logged with the values before and after); 409 for a tenant the config file declares",
        params: IdParams,
        body: TenantChangeBody,
        querystring: NoQuery,
        response: { 200: described(Tenant, 'The tenant as changed'), ...errors(400, 404, 409) },
      },
    },
    async (request) => tenantDto((await tenants.update(request.params.id, request.body)).tenant),
  );

  app.delete(
    '/api/tenants/:id',
    {
      schema: {
        operationId: 'deleteTenant',
        tags: ['tenants'],
        summary: 'Delete a tenant; 409 while it has data unless force=true (then all of it goes, in one transaction), while one of its runs is running, or when the config file declares it',
        params: IdParams,
        querystring: DeleteQuery,
        response: { 200: described(Deleted, 'The tenant is gone, with what went with it'), ...errors(400, 404, 409) },
      },
    },
    async (request) => ({ id: request.params.id, deleted: await tenants.delete(request.params.id, { force: request.query.force === true }) }),
  );
}
