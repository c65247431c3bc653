/**
 * Runs as callers see them: trigger (single-flight per tenant and job), cancel, one run with its
 * ETA and attempts, history with filters and cursor pages. Another tenant's run is not found.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { NsError, notFound } from '../errors.ts';
import type { EngineEvents } from '../events.ts';
import { newId } from '../ids.ts';
import { durationLabel, MAX_INSTANT_MS, MAX_TRIGGER_AHEAD_MS } from '../limits.ts';
import { estimateCompletion } from '../runs/eta.ts';
import { LiveTails } from '../runs/live-tails.ts';
import { attemptsAllowed } from '../runs/retry-policy.ts';
import { inTransaction, lockRunKey, type Db } from '../store/db.ts';
import { requestCancel, type CancelResult } from '../store/run-transitions.ts';
import {
  activeRunsByKey,
  countRunsByStatus,
  getRunRow,
  insertRuns,
  listActiveRuns,
  listAttempts,
  listRunSummaries,
  listRuns,
  recentSuccessDurations,
  runKey,
  runValues,
  type RunFilter,
  type RunRow,
  type RunSummaryRow,
} from '../store/runs.ts';
import { insertRunInput } from '../store/run-inputs.ts';
import { listRunStages, type RunStageRow } from '../store/run-stages.ts';
import type { TenantScope } from '../store/tenant-scope.ts';
import type { JobService } from './job-service.ts';
import type { TenantService } from './tenant-service.ts';
import { contextLogger } from '../log-context.ts';

export interface TriggerOptions {
  /** `now`: refuse when the (tenant, job) already has a run in flight; `queue`: queue behind it. */
  mode?: 'now' | 'queue';
  /** Not before this instant. */
  at?: number;
  params?: Record<string, unknown>;
  /** Recorded as the run's trigger; default `manual`. */
  trigger?: string;
  /** Bytes the run needs (an ONNX import's model), stored with it in the same transaction. */
  inputs?: ReadonlyArray<{ name: string; bytes: Uint8Array }>;
}

export interface RunView extends RunRow {
  eta: number | null;
}

export type RunAttempt = Awaited<ReturnType<typeof listAttempts>>[number];

import { NO_AUDIT, type AuditRecorder } from './audit-service.ts';

export interface RunServiceDeps {
  /** Where each change is recorded (audit-service.ts); none in tests of this service alone. */
  audit?: AuditRecorder;
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  jobs: JobService;
  tenants: TenantService;
  /** Stops a run executing in this process at once (cancel); false when it runs elsewhere. */
  abortLocal: (runId: string) => boolean;
  /** Claims a queued run and executes it in this process; false when another worker has it. */
  executeNow: (runId: string) => Promise<boolean>;
}

/** A run may be queued for later, but not beyond MAX_TRIGGER_AHEAD_MS; an instant already past means now. */
function checkTriggerAt(at: number, now: number): void {
  if (Number.isFinite(at) && at - now <= MAX_TRIGGER_AHEAD_MS) return;
  const latest = new Date(now + MAX_TRIGGER_AHEAD_MS).toISOString();
  const given = Number.isFinite(at) && Math.abs(at) <= MAX_INSTANT_MS ? new Date(at).toISOString() : String(at);
  throw new NsError('NS_VALIDATION', `at="${given}": must be at most ${durationLabel(MAX_TRIGGER_AHEAD_MS)} from now (not after ${latest}); an earlier time means now`, {
    field: 'at',
    details: { latest },
  });
}

export class RunService {
  readonly #d: RunServiceDeps;
  readonly #audit: AuditRecorder;
  readonly #live: LiveTails;

  constructor(deps: RunServiceDeps) {
    this.#d = deps;
    this.#audit = deps.audit ?? NO_AUDIT;
    this.#live = new LiveTails(deps.events);
  }

  /** Running runs, then queued ones in the order they will run (at most `limit` of each), with their ETAs. */
  async inFlight(scope: TenantScope, limit: number): Promise<{ running: RunView[]; queued: RunView[] }> {
    const { running, queued } = await listActiveRuns(this.#d.db.k, scope, limit);
    return { running: await Promise.all(running.map((r) => this.withEta(r))), queued: await Promise.all(queued.map((r) => this.withEta(r))) };
  }

  /** The output so far of a run executing in this process (its stored tail is written when it ends). */
  liveTail(runId: string): string | null {
    return this.#live.get(runId);
  }

  async trigger(jobId: string, tenantId: string, options: TriggerOptions = {}): Promise<RunView> {
    return this.#audit.track((run: RunView) => ({ action: 'run.trigger', tenantId, target: `run/${run.id}`, after: { jobId, mode: options.mode ?? 'now', trigger: options.trigger ?? 'manual', runAt: run.run_at, params: options.params ?? null } }), async () => {
      const { db, clock, events, logger } = this.#d;
      const now = clock.now();
      if (options.at !== undefined) checkTriggerAt(options.at, now);
      const job = await this.#d.jobs.require(jobId);
      await this.#d.tenants.require(tenantId);
      await this.#d.jobs.requireFor(jobId, tenantId);
      const mode = options.mode ?? 'now';
      const run = await inTransaction(db, async (x) => {
        await lockRunKey(x, db.dialect, tenantId, jobId);
        const active = (await activeRunsByKey(x, [{ tenantId, jobId }])).get(runKey(tenantId, jobId)) ?? [];
        const queued = active.find((r) => r.status === 'queued');
        const inFlight = active.find((r) => r.status === 'running') ?? queued;
        if (mode === 'queue' && queued) {
          throw new NsError('NS_CONFLICT', `job "${jobId}" already has run ${queued.id} waiting for tenant "${tenantId}"; only one run may wait behind a running one`, {
            field: 'jobId',
            details: { runId: queued.id, status: queued.status },
          });
        }
        if (mode === 'now' && inFlight) {
          throw new NsError('NS_CONFLICT', `job "${jobId}" already has run ${inFlight.id} ${inFlight.status} for tenant "${tenantId}"; use mode "queue" (CLI: --queue) to run after it`, {
            field: 'jobId',
            details: { runId: inFlight.id, status: inFlight.status },
          });
        }
        const row = runValues({
          id: newId('run', now),
          tenantId,
          jobId,
          trigger: options.trigger ?? 'manual',
          status: 'queued',
          maxAttempts: attemptsAllowed(job.retry),
          timeoutMs: job.timeoutMs,
          runAt: Math.max(now, options.at ?? now),
          now,
          params: options.params ?? null,
        });
        await insertRuns(x, [row]);
        for (const input of options.inputs ?? []) await insertRunInput(x, { runId: row.id, name: input.name, tenantId, bytes: input.bytes, now });
        return row;
      });
      contextLogger(logger).info({ runId: run.id, jobId, tenantId, mode, at: run.run_at }, 'run triggered');
      events.emit('run:queued', { run });
      return this.withEta(run);
    });
  }

  /** Another tenant's run is not found. Without a reason, "cancelled on request" is recorded. */
  async cancel(scope: TenantScope, runId: string, reason?: string): Promise<CancelResult> {
    return this.#audit.track((result: CancelResult) => ({ action: 'run.cancel', tenantId: typeof scope === 'string' ? scope : null, target: `run/${runId}`, after: { result, reason: reason ?? null } }), async () => {
      const { db, clock, logger } = this.#d;
      const result = await inTransaction(db, (x) => requestCancel(x, scope, runId, clock.now(), reason ?? 'cancelled on request'));
      if (result === 'requested') this.#d.abortLocal(runId);
      contextLogger(logger).info({ runId, result }, 'cancel requested');
      return result;
    });
  }

  /**
   * Executes a queued run in this process now, if no worker has claimed it yet (false then), and
   * resolves once it has ended.
   */
  executeHere(runId: string): Promise<boolean> {
    return this.#d.executeNow(runId);
  }

  /** Another tenant's run is not found: the store is asked for it within the scope (isolation, not filtering). */
  async get(scope: TenantScope, runId: string): Promise<RunView> {
    const run = await getRunRow(this.#d.db.k, scope, runId);
    if (!run) throw notFound('run', runId);
    return this.withEta(run);
  }

  attempts(tenantId: string, runId: string): Promise<RunAttempt[]> {
    return listAttempts(this.#d.db.k, tenantId, runId);
  }

  /** A training run's stages, attempt by attempt, each with its times and counts. */
  stages(tenantId: string, runId: string): Promise<RunStageRow[]> {
    return listRunStages(this.#d.db.k, tenantId, runId);
  }

  list(scope: TenantScope, filter: RunFilter = {}): Promise<RunRow[]> {
    return listRuns(this.#d.db.k, scope, filter);
  }

  /** The same list with the columns a list shows only (no log tail, params, steps or result). */
  summaries(scope: TenantScope, filter: RunFilter = {}): Promise<RunSummaryRow[]> {
    return listRunSummaries(this.#d.db.k, scope, filter);
  }

  countByStatus(tenantId: string, filter: Pick<RunFilter, 'jobId' | 'jobIds'> = {}): Promise<Record<string, number>> {
    return countRunsByStatus(this.#d.db.k, tenantId, filter);
  }

  /** Every queued or running run of the (tenant, job). */
  async active(tenantId: string, jobId: string): Promise<RunRow[]> {
    return (await activeRunsByKey(this.#d.db.k, [{ tenantId, jobId }])).get(runKey(tenantId, jobId)) ?? [];
  }

  /**
   * The run once it has ended, or as it is when `timeoutMs` passes (still queued or running). Reads
   * the store, so it sees an end recorded by any node.
   */
  async waitForEnd(scope: TenantScope, runId: string, timeoutMs: number, pollMs = 200): Promise<RunView> {
    // Real time, not the injected clock: this waits on other processes.
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const run = await this.get(scope, runId);
      if ((run.status !== 'queued' && run.status !== 'running') || performance.now() >= deadline) return run;
      await delay(Math.min(pollMs, Math.max(1, deadline - performance.now())));
    }
  }

  /** Queued and running runs carry an ETA from the median of the job's recent successful durations. */
  async withEta(run: RunRow): Promise<RunView> {
    if (run.status !== 'queued' && run.status !== 'running') return { ...run, eta: null };
    const durations = await recentSuccessDurations(this.#d.db.k, run.tenant_id, run.job_id);
    return { ...run, eta: estimateCompletion(run, durations, this.#d.clock.now()) };
  }
}
