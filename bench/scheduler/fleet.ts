/**
 * The 10,000-schedule fleet every scheduler measurement loads: 1,000 tenants × 10 jobs, one schedule
 * per (tenant, job), so no two schedules share a (tenant, job) and the overlap policy never skips one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { Settings, TenantDefinition } from '../../src/config/types.ts';
import { commandJob, emptyJob, makeSettings, schedule } from '../../test/helpers/settings.ts';

export const SCHEDULES = 10_000;
export const TENANTS = 1_000;
export const JOBS = SCHEDULES / TENANTS;

export const tenantId = (i: number) => `t${String(i % TENANTS).padStart(4, '0')}`;
export const jobId = (i: number) => `job${Math.floor(i / TENANTS)}`;
export const scheduleId = (i: number) => `s${String(i).padStart(5, '0')}`;

export type FleetWork = 'empty' | 'process';

/**
 * The process each run starts in `process` work, and what the croner peer starts: it prints its own
 * start time on the wall clock (CLOCK_REALTIME, seconds with nanoseconds) and exits. Slot times are
 * wall-clock epoch milliseconds too, so slot → "process running" is measured across processes
 * without comparing monotonic clocks (which are per process). `date` has no dependencies beyond libc.
 */
export const STARTED_COMMAND = { command: '/bin/date', args: ['+%s.%N'] } as const;

/** The wall-clock epoch milliseconds a STARTED_COMMAND line holds, or null for any other line. */
export function startedAtFromLine(line: string): number | null {
  if (!/^\d{9,}\.\d{9}$/.test(line.trim())) return null;
  return Number(line.trim()) * 1000;
}

export interface FleetOptions {
  /** Schedules in the fleet (default 10,000; a smaller fleet is for profiling only). */
  count?: number;
  /** Cron expression of schedule i. */
  cronFor: (i: number) => string;
  dataDir: string;
  databaseUrl?: string | null;
  /** What each run does: `empty` starts nothing; `process` runs STARTED_COMMAND (the default). */
  work?: FleetWork;
  concurrency?: number;
}

/** Production defaults (poll 1 s, lease 30 s, heartbeat 10 s) with the fleet as the declared config. */
export function fleetSettings(o: FleetOptions): Settings {
  const tenants: TenantDefinition[] = Array.from({ length: TENANTS }, (_, i) => ({ id: tenantId(i), name: `Tenant ${i}`, timezone: 'UTC' }));
  const jobs = Array.from({ length: JOBS }, (_, j) => (o.work === 'empty' ? emptyJob(`job${j}`) : commandJob(`job${j}`, STARTED_COMMAND.command, [...STARTED_COMMAND.args], { timeoutMs: 60_000 })));
  const schedules = Array.from({ length: o.count ?? SCHEDULES }, (_, i) => schedule(scheduleId(i), jobId(i), { tenantId: tenantId(i), cron: o.cronFor(i) }));
  return makeSettings({
    dataDir: o.dataDir,
    databaseUrl: o.databaseUrl ?? null,
    nodeId: `bench-${process.pid}`,
    logLevel: 'info',
    concurrency: o.concurrency ?? 2,
    killGraceMs: 10_000,
    shutdownGraceMs: 30_000,
    logTailBytes: 65_536,
    tenants,
    jobs,
    schedules,
  });
}

/**
 * The engine logs at info as in production (one line per slot, per run start and end), into
 * /dev/null so the terminal is not the bottleneck; the JSON serialization cost stays in. Written
 * the way the service's own logger writes (main.ts: pino's default destination, asynchronous),
 * not with a write per line.
 */
export function benchLogger(): Logger {
  return pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
}

export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Progress goes to stderr so a child's stdout stays one JSON line. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
