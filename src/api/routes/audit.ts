/**
 * GET /api/audit: the audit log, newest first, filtered and paged. A caller limited to some tenants
 * (request.principal) sees their entries only; the installation's own entries (no tenant) and
 * every tenant's are for a super admin, or for the local caller when no authentication is set up.
 */
import { Type } from 'typebox';
import type { Principal } from '../../auth/principal.ts';
import type { AuditService } from '../../services/audit-service.ts';
import { described, errors, Id } from '../schemas.ts';
import type { Api } from '../types.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Action = Type.String({ pattern: '^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]*)*$', maxLength: 64, description: 'an action (`model.promote`), or a prefix ending in "." (`model.`) for all of its kind' });

export const AuditQuery = Type.Object(
  {
    tenantId: Type.Optional(Id),
    action: Type.Optional(Action),
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'e.g. run/run_…, model/acme/failure, tenant/acme' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  tenantId: Nullable(Type.String()),
  subject: Type.String({ description: 'who: the JWT subject, key:<id> for an API key, local (no authentication set up), cli:<user>, or system' }),
  keyId: Nullable(Type.String()),
  via: Type.String({ description: 'jwt, api-key, none, cli or system' }),
  action: Type.String(),
  target: Type.String(),
  before: Type.Unknown({ description: 'a summary of the state before, or null' }),
  after: Type.Unknown({ description: 'a summary of the state after, or null' }),
  requestId: Nullable(Type.String()),
});

/** The tenants a caller may read entries of: null for all (and the installation's own). */
export function readableTenants(principal: Principal | undefined, tenantId: string | undefined): readonly string[] | null {
  const allowed = principal ? principal.tenants : '*';
  if (allowed === '*') return tenantId ? [tenantId] : null;
  if (tenantId) return allowed.includes(tenantId) ? [tenantId] : [];
  return allowed;
}

export function auditRoutes(app: Api, audit: AuditService): void {
  app.get(
    '/api/audit',
    {
      schema: {
        operationId: 'listAudit',
        tags: ['audit'],
        summary: 'The audit log: who changed what, when, with which request',
        description: 'Every change made through the API or the CLI, and every training, promotion, rollback, alert and key event, newest first. Append-only.',
        querystring: AuditQuery,
        response: { 200: described(Type.Object({ entries: Type.Array(AuditEntrySchema), nextCursor: Nullable(Type.String()) }), 'One page of entries, newest first; nextCursor continues'), ...errors(400) },
      },
    },
    async (request) => {
      const q = request.query;
      const action = q.action;
      const prefix = action?.endsWith('.') ? action : undefined;
      const page = await audit.list({
        tenants: readableTenants(request.principal, q.tenantId),
        ...(action && !prefix ? { action } : {}),
        ...(prefix ? { actionPrefix: prefix } : {}),
        ...(q.subject ? { subject: q.subject } : {}),
        ...(q.target ? { target: q.target } : {}),
        ...(q.from ? { since: Date.parse(q.from) } : {}),
        ...(q.to ? { until: Date.parse(q.to) } : {}),
        limit: q.limit ?? 50,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return { entries: page.entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })), nextCursor: page.nextCursor };
    },
  );
}
