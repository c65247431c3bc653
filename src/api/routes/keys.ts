/**
 * API keys over HTTP: an admin lists, creates and revokes its tenant's keys (with a role up to its
 * own); a super admin any key. The key's text is in the creation's answer only.
 */
import { Type } from 'typebox';
import { ROLES, type Role } from '../../auth/principal.ts';
import { NsError } from '../../errors.ts';
import { ID_RULE } from '../../ids.ts';
import type { ApiKeyView, KeyService } from '../../services/key-service.ts';
import { roleAtLeast } from '../access.ts';
import { iso } from '../dto.ts';
import { described, errors, Id } from '../schemas.ts';
import type { Api } from '../types.ts';

// Key ids (key_…) follow the one id rule every route's ids follow; an id of no key is a 404.
const KeyId = Type.String({ pattern: ID_RULE, description: 'an API key id (key_…)' });
const ApiKey = Type.Object({
  id: Type.String(),
  name: Type.String(),
  tenant: Type.String({ description: "the tenant the key acts for; '*' for a super admin's key" }),
  role: Type.String({ enum: [...ROLES] }),
  createdAt: Type.String(),
  createdBy: Type.String(),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
const TenantOnly = Type.Object({ tenantId: Type.Optional(Id) }, { additionalProperties: false });
const CreateBody = Type.Object(
  {
    tenant: Type.Optional(Type.String({ pattern: `^(\\*|${ID_RULE.slice(1, -1)})$`, description: "the tenant the key acts for (default: the caller's own); '*' for a super_admin key" })),
    role: Type.String({ enum: [...ROLES], description: 'what the key may do: viewer, operator, admin (up to the caller\'s own role) or super_admin' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'what the key is for' })),
  },
  { additionalProperties: false },
);

const keyDto = (k: ApiKeyView) => ({ id: k.id, name: k.name, tenant: k.tenant, role: k.role, createdAt: iso(k.createdAt)!, createdBy: k.createdBy, revokedAt: iso(k.revokedAt) });

export function keyRoutes(app: Api, keys: KeyService): void {
  app.get(
    '/api/keys',
    {
      schema: {
        operationId: 'listKeys',
        tags: ['keys'],
        summary: "API keys (never their secrets): the caller's tenant's, or with a super admin's credential every key (tenantId narrows)",
        querystring: TenantOnly,
        response: { 200: described(Type.Object({ keys: Type.Array(ApiKey) }), 'The keys, oldest first, revoked ones included'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => ({ keys: (await keys.list(request.query.tenantId ?? null)).map(keyDto) }),
  );

  app.post(
    '/api/keys',
    {
      schema: {
        operationId: 'createKey',
        tags: ['keys'],
        summary: 'Create an API key for one tenant and one role; the answer holds its text, shown this once',
        body: CreateBody,
        response: { 201: described(Type.Object({ key: ApiKey, token: Type.String({ description: 'send as Authorization: Bearer <token>; not shown again' }) }), 'The key and its text'), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      const role = request.body.role as Role;
      if (!roleAtLeast(principal.role, role)) {
        throw new NsError('NS_FORBIDDEN', `role: a ${principal.role} may create keys up to its own role, not ${role}`, { field: 'role', details: { required: role, role: principal.role } });
      }
      const created = await keys.create({ tenant: request.body.tenant ?? '*', role, name: request.body.name, createdBy: principal.subject });
      return reply.status(201).send({ key: keyDto(created.key), token: created.token });
    },
  );

  app.delete(
    '/api/keys/:id',
    {
      schema: {
        operationId: 'revokeKey',
        tags: ['keys'],
        summary: 'Revoke an API key: it stops working on the next request, on every node',
        params: Type.Object({ id: KeyId }, { additionalProperties: false }),
        querystring: TenantOnly,
        response: { 200: described(ApiKey, 'The key, revoked'), ...errors(400, 401, 403, 404, [409, 'The key is already revoked']) },
      },
    },
    async (request) => keyDto(await keys.revoke(request.query.tenantId ?? null, request.params.id)),
  );
}
