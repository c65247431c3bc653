/**
 * Who may call each route: THE one table. Every route nightshift registers must have an entry here
 * (keyed by method and URL exactly as registered), or the server refuses to start (authorization.ts)
 * and test/api/auth-matrix.test.ts fails.
 *
 * - `role`: the least role that may call it ('public': no credentials at all). Roles are ordered
 *   viewer < operator < admin < super_admin; a higher role may do what a lower one may.
 * - `tenant`: where the route names its tenant, which must be one of the caller's (else 404 exactly
 *   as for a tenant that does not exist):
 *   - `path`: the URL parameter `field` (default `tenantId`);
 *   - `query` / `body`: the field `field` (default `tenantId`); when a caller below super admin
 *     leaves it out, it is filled with the caller's own tenant, so the route sees only that tenant
 *     (the operator views /api/runs, /api/schedules, /api/jobs, /api/models, and the seeds' routes);
 *   - `none`: the route names no tenant (it is global, or filters by the caller itself).
 * - `rate`: the route class whose per-tenant budget each call spends (train, ingest, predict).
 *
 * Adding a route: add one line below with its method and URL as registered.
 */
import type { RateClass } from '../config/types.ts';
import type { Role } from '../auth/principal.ts';

export type TenantSource = 'path' | 'query' | 'body' | 'none';

export interface AccessRule {
  role: Role | 'public';
  tenant: TenantSource;
  /** The parameter, query or body field naming the tenant (default `tenantId`). */
  field?: string;
  rate?: RateClass;
}

const PUBLIC: AccessRule = { role: 'public', tenant: 'none' };
const r = (role: Role, tenant: TenantSource, extra: Omit<AccessRule, 'role' | 'tenant'> = {}): AccessRule => ({ role, tenant, ...extra });

export const ACCESS: Readonly<Record<string, AccessRule>> = {
  // Documentation and probes: load balancers and browsers call them without credentials.
  'GET /docs': PUBLIC,
  'GET /docs/static/index.html': PUBLIC,
  'GET /docs/static/swagger-initializer.js': PUBLIC,
  'GET /docs/json': PUBLIC,
  'GET /docs/yaml': PUBLIC,
  'GET /docs/static/*': PUBLIC,
  'GET /openapi.json': PUBLIC,
  'GET /health/live': PUBLIC,
  'GET /health/ready': PUBLIC,
  // The full report and the metrics name every tenant's jobs and models: system views.
  'GET /health': r('super_admin', 'none'),
  'GET /metrics': r('super_admin', 'none'),
  // The dashboard's overview: the service's state without any tenant's jobs or models, for every signed-in role.
  'GET /health/summary': r('viewer', 'none'),

  // Tenants: a caller lists the tenants it may see; an admin changes its own; only a super admin creates and deletes.
  'GET /api/tenants': r('viewer', 'none'),
  'POST /api/tenants': r('super_admin', 'none'),
  'PUT /api/tenants/:id': r('admin', 'path', { field: 'id' }),
  'DELETE /api/tenants/:id': r('super_admin', 'none'),

  // API keys: an admin manages its tenant's keys; a super admin every key.
  'GET /api/keys': r('admin', 'query'),
  'POST /api/keys': r('admin', 'body', { field: 'tenant' }),
  'DELETE /api/keys/:id': r('admin', 'query'),

  // Jobs are declared in the config file; listing them shows the caller's tenant's schedules and runs.
  'GET /api/jobs': r('viewer', 'query'),
  'GET /api/jobs/:id': r('viewer', 'query'),
  'POST /api/jobs/:id/trigger': r('operator', 'body', { rate: 'train' }),

  'GET /api/schedules': r('viewer', 'query'),
  'GET /api/schedules/:id': r('viewer', 'query'),
  'GET /api/schedules/:id/slots': r('viewer', 'query'),
  'PUT /api/schedules/:id': r('admin', 'body'),
  'POST /api/schedules': r('admin', 'body'),
  'DELETE /api/schedules/:id': r('admin', 'query'),
  'POST /api/schedules/:id/enable': r('admin', 'query'),
  'POST /api/schedules/:id/disable': r('admin', 'query'),

  'GET /api/runs': r('viewer', 'query'),
  'GET /api/runs/:id': r('viewer', 'query'),
  'GET /api/runs/active': r('viewer', 'query'),
  'POST /api/runs/:id/cancel': r('operator', 'query'),

  'GET /api/tenants/:tenantId/datasets': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/datasets/:datasetId': r('viewer', 'path'),
  'PUT /api/tenants/:tenantId/datasets/:datasetId': r('admin', 'path'),
  'POST /api/tenants/:tenantId/datasets/:datasetId/samples': r('operator', 'path', { rate: 'ingest' }),

  'GET /api/models': r('viewer', 'query'),
  'GET /api/models/overview': r('viewer', 'query'),
  'GET /api/tenants/:tenantId/models': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model': r('viewer', 'path'),
  'PUT /api/tenants/:tenantId/models/:model': r('admin', 'path'),
  'POST /api/tenants/:tenantId/models/:model/train': r('operator', 'path', { rate: 'train' }),
  'GET /api/tenants/:tenantId/models/:model/versions': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model/versions/:version': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model/versions/:version/onnx': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model/versions/:version/onnx/input': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model/champion/history': r('viewer', 'path'),
  'POST /api/tenants/:tenantId/models/:model/rollback': r('admin', 'path'),
  'POST /api/tenants/:tenantId/models/:model/promote': r('admin', 'path'),
  'POST /api/tenants/:tenantId/models/:model/predict': r('operator', 'path', { rate: 'predict' }),
  'POST /api/tenants/:tenantId/models/:model/import': r('admin', 'path'),
  'GET /api/tenants/:tenantId/models/:model/assessments': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model/assess': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/models/:model/live': r('viewer', 'path'),

  'GET /api/tenants/:tenantId/models/:model/metrics': r('viewer', 'path'),

  // Alerts (issue 16): the caller's tenant's; acknowledging is an operator's act.
  'GET /api/alerts': r('viewer', 'query'),
  'POST /api/alerts/:id/ack': r('operator', 'query'),
  'GET /api/training/metrics': r('viewer', 'query'),
  'GET /api/training/system-metrics': r('super_admin', 'none'),

  // Notifications: an admin manages its tenant's channels; the outbox's rows are filtered by the caller's tenants.
  'GET /api/tenants/:tenantId/notification-channels': r('viewer', 'path'),
  'GET /api/tenants/:tenantId/notification-channels/:channelId': r('viewer', 'path'),
  'POST /api/tenants/:tenantId/notification-channels': r('admin', 'path'),
  'DELETE /api/tenants/:tenantId/notification-channels/:channelId': r('admin', 'path'),
  'GET /api/notifications': r('viewer', 'query', { field: 'tenant' }),
  'GET /api/notifications/:id': r('viewer', 'none'),

  // The audit log: an admin reads its tenant's entries; entries of no tenant (installation events) only a super admin.
  'GET /api/audit': r('admin', 'query'),

  // The seeds' routes (src/api/seeds): their own names for the tenant.
  'POST /api/predictions/train/schedule': r('operator', 'body', { rate: 'train' }),
  'GET /api/predictions/train/status': r('viewer', 'query'),
  'POST /api/analysis/trigger': r('operator', 'body', { rate: 'train' }),
  'GET /api/analysis/schedule': r('viewer', 'query'),
  'GET /api/training/schedule': r('viewer', 'query', { field: 'organizationId' }),
  'POST /api/training/schedule': r('admin', 'body', { field: 'organizationId' }),
  'DELETE /api/training/schedule': r('admin', 'query', { field: 'organizationId' }),
  'GET /api/training/history': r('viewer', 'query', { field: 'organizationId' }),
  'POST /api/training/cancel': r('operator', 'body', { field: 'organizationId' }),
  'POST /api/training/train': r('operator', 'body', { field: 'organizationId', rate: 'train' }),
  'POST /api/training/rollback': r('admin', 'body', { field: 'organizationId' }),
  'POST /api/v1/learn/trigger-retrain': r('operator', 'body', { field: 'user_id', rate: 'train' }),
};

export const accessKey = (method: string, url: string) => `${method} ${url}`;

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2, super_admin: 3 };

/** Whether `role` is at least `least`. */
export function roleAtLeast(role: Role, least: Role): boolean {
  return RANK[role] >= RANK[least];
}
