import { chmodSync, copyFileSync, mkdtempSync } from 'node:fs';
import { MONITOR_DEFAULTS } from '../../src/monitor/alert-thresholds.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOTIFICATION_DEFAULTS } from '../../src/config/notification-entries.ts';
import { AUTH_DEFAULTS } from '../../src/config/auth-env.ts';
import type { CommandJob, EmptyJob, PipelineJob, ScheduleDefinition, Settings, TenantDefinition } from '../../src/config/types.ts';

export const tempDir = (prefix = 'ns-test-') => mkdtempSync(join(tmpdir(), prefix));

/**
 * A new data dir with the master key file of `fromDataDir`: another node of the same cluster, which
 * must read the artifacts the first one encrypted (in production: the same NIGHTSHIFT_MASTER_KEY).
 */
export function tempDirSharingKey(fromDataDir: string): string {
  const dir = tempDir();
  copyFileSync(join(fromDataDir, 'master.key'), join(dir, 'master.key'));
  chmodSync(join(dir, 'master.key'), 0o600);
  return dir;
}

const NO_RETRY = { retries: 0, backoffMs: [], jitterRatio: 0 } as const;

export function commandJob(id: string, command: string, args: string[] = [], extra: Partial<CommandJob> = {}): CommandJob {
  return { id, kind: 'command', description: '', role: null, tenants: null, timeoutMs: 60_000, retry: NO_RETRY, after: [], env: {}, command, args, ...extra };
}

export function pipelineJob(id: string, steps: PipelineJob['steps'], extra: Partial<PipelineJob> = {}): PipelineJob {
  return { id, kind: 'pipeline', description: '', role: null, tenants: null, timeoutMs: 60_000, retry: NO_RETRY, after: [], env: {}, steps, ...extra };
}

export function emptyJob(id: string, extra: Partial<EmptyJob> = {}): EmptyJob {
  return { id, kind: 'empty', description: '', role: null, tenants: null, timeoutMs: 60_000, retry: NO_RETRY, after: [], env: {}, ...extra };
}

export function schedule(id: string, jobId: string, extra: Partial<ScheduleDefinition> = {}): ScheduleDefinition {
  return {
    id,
    tenantId: 'acme',
    jobId,
    cron: '0 * * * *',
    everyMs: null,
    timezone: 'UTC',
    enabled: true,
    jitterMs: 0,
    misfireGraceMs: 3_600_000,
    catchUp: 'latest',
    catchUpMax: 10,
    overlap: 'skip',
    ...extra,
  };
}

export const TENANTS: TenantDefinition[] = [
  { id: 'acme', name: 'Acme', timezone: 'UTC' },
  { id: 'globex', name: 'Globex', timezone: 'Europe/London' },
];

/** A complete Settings object for tests; the engine never reads env itself. */
export function makeSettings(o: Partial<Settings> = {}): Settings {
  return {
    dataDir: o.dataDir ?? tempDir(),
    databaseUrl: null,
    artifacts: o.artifacts ?? (o.databaseUrl ? 'postgres' : 'file'),
    configPath: null,
    nodeId: `test-${process.pid}`,
    logLevel: 'silent',
    logFormat: 'json',
    timezone: 'UTC',
    concurrency: 2,
    trainThreads: 2,
    jobNiceness: 10,
    launcher: true,
    shutdownGraceMs: 5_000,
    killGraceMs: 1_000,
    leaseMs: 30_000,
    heartbeatMs: 10_000,
    maxRecoveries: 10,
    pollMs: 1_000,
    misfireGraceMs: 3_600_000,
    policyDebounceMs: 200,
    predictionLog: { sampleRate: 1, maxRowsPerModel: 100_000, retentionDays: 30 },
    logTailBytes: 16_384,
    historyRetentionDays: 365,
    keepVersions: 10,
    keepChampions: 5,
    modelCacheMb: 256,
    historyCacheSamples: 100_000,
    ingestMaxSkewMs: 3_600_000,
    training: { schedule: '0 2 * * *', enabled: true, mode: 'incremental', retries: 3, timeoutMs: 7_200_000 },
    analysis: { schedule: '0 3 * * *' },
    monitor: { ...MONITOR_DEFAULTS },
    http: { host: '127.0.0.1', port: 0 },
    // Tests call the API as the local super admin unless they turn authentication on (test/api/auth-*).
    // Budgets no functional test reaches (test/api/auth-rate-limits.test.ts sets small ones).
    auth: { ...AUTH_DEFAULTS, mode: 'off', rateLimits: { windowMs: 60_000, train: 1_000_000, ingest: 1_000_000, predict: 1_000_000 } },
    tenants: TENANTS,
    jobs: [],
    schedules: [],
    models: [],
    datasets: [],
    notifications: NOTIFICATION_DEFAULTS,
    ...o,
  };
}
