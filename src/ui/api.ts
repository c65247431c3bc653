/**
 * Every request the dashboard makes, in one place: pages call these functions, never fetch. The
 * API's errors come back as ApiError with its stable code and the field it names, so forms show
 * the message next to that field.
 */
import { readToken } from './auth-token.ts';
import type {
  Alert,
  AliasChange,
  Assessment,
  AuditEntry,
  DeliveryAttempt,
  HealthSummary,
  Notification,
  LiveMetric,
  Model,
  ModelOverview,
  Run,
  PredictResult,
  RunDetail,
  RunPage,
  Schedule,
  Slot,
  StoredAssessment,
  Tenant,
  Version,
} from './api-types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** `accept` lists error statuses whose body still carries the data (none of today's calls needs one). */
async function request<T>(method: string, path: string, options: { query?: Query; body?: unknown; accept?: number[] } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = readToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url(path, options.query), { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : null;
  if (response.ok || options.accept?.includes(response.status)) return data as T;
  const error = (data as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
  throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText, error?.field ?? null);
}

const get = <T>(path: string, query?: Query) => request<T>('GET', path, query ? { query } : {});
const post = <T>(path: string, body?: unknown, query?: Query) => request<T>('POST', path, { ...(body !== undefined ? { body } : {}), ...(query ? { query } : {}) });
const enc = encodeURIComponent;
const modelPath = (tenantId: string, model: string) => `/api/tenants/${enc(tenantId)}/models/${enc(model)}`;

export interface RunFilter {
  tenantId?: string;
  jobId?: string;
  status?: string;
  trigger?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export interface AlertFilter {
  tenantId?: string;
  status?: string;
  type?: string;
  model?: string;
  cursor?: string;
  limit?: number;
}

export interface NotificationFilter {
  tenant?: string;
  status?: string;
  event?: string;
  channel?: string;
  cursor?: string;
  limit?: number;
}

export interface AuditFilter {
  tenantId?: string;
  action?: string;
  subject?: string;
  target?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}

export const api = {
  health: () => get<HealthSummary>('/health/summary'),
  tenants: () => get<{ tenants: Tenant[] }>('/api/tenants'),

  runs: (filter: RunFilter) => get<RunPage>('/api/runs', { ...filter }),
  inFlight: (limit = 20) => get<{ running: Run[]; queued: Run[] }>('/api/runs/active', { limit }),
  run: (id: string) => get<RunDetail>(`/api/runs/${enc(id)}`),
  cancelRun: (id: string) => post<{ runId: string; result: 'cancelled' | 'requested' }>(`/api/runs/${enc(id)}/cancel`),
  trigger: (jobId: string, body: { tenantId: string; mode?: 'now' | 'queue'; params?: Record<string, unknown> }) =>
    post<{ runId: string; status: string }>(`/api/jobs/${enc(jobId)}/trigger`, body),

  schedules: (tenantId?: string, page: { limit?: number; cursor?: string; upcoming?: number } = {}) => get<{ schedules: Schedule[]; nextCursor: string | null }>('/api/schedules', { tenantId, ...page }),
  schedule: (id: string) => get<Schedule>(`/api/schedules/${enc(id)}`),
  slots: (id: string, page: { before?: string; limit?: number } = {}) => get<{ slots: Slot[]; nextBefore: string | null }>(`/api/schedules/${enc(id)}/slots`, page),
  setScheduleEnabled: (id: string, enabled: boolean) => post<Schedule>(`/api/schedules/${enc(id)}/${enabled ? 'enable' : 'disable'}`),
  putSchedule: (id: string, body: Record<string, unknown>) => request<Schedule>('PUT', `/api/schedules/${enc(id)}`, { body }),

  models: (tenantId?: string) => get<{ models: Model[] }>('/api/models', { tenantId }),
  modelOverview: (tenantId?: string, page: { limit?: number; cursor?: string } = {}) =>
    get<{ models: ModelOverview[]; total: number; nextCursor: string | null }>('/api/models/overview', { tenantId, ...page }),
  model: (tenantId: string, model: string) => get<Model>(modelPath(tenantId, model)),
  versions: (tenantId: string, model: string, page: { limit?: number; cursor?: number } = {}) => get<{ versions: Version[]; nextCursor: number | null }>(`${modelPath(tenantId, model)}/versions`, page),
  championHistory: (tenantId: string, model: string) => get<{ history: AliasChange[] }>(`${modelPath(tenantId, model)}/champion/history`, { limit: 100 }),
  promote: (tenantId: string, model: string, version: number, expectedCurrent: number | null, reason?: string) =>
    post<{ changed: boolean; change: AliasChange }>(`${modelPath(tenantId, model)}/promote`, { version, expectedCurrent, ...(reason ? { reason } : {}) }),
  rollback: (tenantId: string, model: string, targetVersion: number, reason?: string) =>
    post<{ changed: boolean; change: AliasChange }>(`${modelPath(tenantId, model)}/rollback`, { targetVersion, ...(reason ? { reason } : {}) }),
  live: (tenantId: string, model: string, days = 30) => get<LiveMetric>(`${modelPath(tenantId, model)}/live`, { days }),
  assess: (tenantId: string, model: string) => get<Assessment>(`${modelPath(tenantId, model)}/assess`),
  assessments: (tenantId: string, model: string, page: { limit?: number; cursor?: string } = {}) =>
    get<{ assessments: StoredAssessment[]; nextCursor: string | null }>(`${modelPath(tenantId, model)}/assessments`, page),
  alerts: (filter: AlertFilter) => get<{ alerts: Alert[]; nextCursor: string | null }>('/api/alerts', { ...filter }),
  acknowledge: (id: string, tenantId: string) => post<Alert>(`/api/alerts/${enc(id)}/ack`, undefined, { tenantId }),
  notifications: (filter: NotificationFilter) => get<{ notifications: Notification[]; nextCursor: string | null }>('/api/notifications', { ...filter }),
  notification: (id: string) => get<Notification & { history: DeliveryAttempt[] }>(`/api/notifications/${enc(id)}`),
  audit: (filter: AuditFilter) => get<{ entries: AuditEntry[]; nextCursor: string | null }>('/api/audit', { ...filter }),

  predict: (tenantId: string, model: string, row: { values: Record<string, unknown>; entity?: string }) => post<PredictResult>(`${modelPath(tenantId, model)}/predict`, row),
};
