/**
 * The services routes, the CLI and monitoring are handed. Each is built from the dependencies it
 * uses (engine.ts); none of them is the store. `settings` is the frozen configuration, `clock` the
 * time every view is computed at, `events` what monitoring subscribes to.
 */
import type { Clock } from '../clock.ts';
import type { Settings } from '../config/types.ts';
import type { EngineEvents } from '../events.ts';
import type { ModelService } from '../models/model-service.ts';
import type { NotificationService } from '../monitor/notify/notification-service.ts';
import type { AuditService } from './audit-service.ts';
import type { DataService } from './data-service.ts';
import type { MasterKeyService } from './master-key-service.ts';
import type { HealthService } from './health-service.ts';
import type { JobService } from './job-service.ts';
import type { MonitorService } from './monitor-service.ts';
import type { SeriesService } from './series-service.ts';
import type { KeyService } from './key-service.ts';
import type { RateLimitService } from './rate-limit-service.ts';
import type { RunService } from './run-service.ts';
import type { ScheduleService } from './schedule-service.ts';
import type { TenantService } from './tenant-service.ts';

export interface Services {
  readonly settings: Settings;
  readonly clock: Clock;
  readonly events: EngineEvents;
  readonly tenants: TenantService;
  readonly jobs: JobService;
  readonly schedules: ScheduleService;
  readonly runs: RunService;
  readonly data: DataService;
  readonly models: ModelService;
  readonly health: HealthService;
  readonly notifications: NotificationService;
  readonly monitor: MonitorService;
  readonly series: SeriesService;
  readonly keys: KeyService;
  readonly rateLimits: RateLimitService;
  /** The audit log: read by GET /api/audit and `nightshift audit`; written by the services themselves. */
  readonly audit: AuditService;
  /** Master key rotation (`nightshift keys rotate-master`). */
  readonly masterKey: MasterKeyService;
}
