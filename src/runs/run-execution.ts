/**
 * One claimed run, from spawn to its recorded end: the heartbeat that keeps the lease, the
 * deadline, cancellation, and the transition that matches how the command ended.
 */
import { getPriority } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { EmptyJob, JobDefinition, Settings, TrainJob } from '../config/types.ts';
import { isNsError } from '../errors.ts';
import type { EngineEvents } from '../events.ts';
import { inStatement, inTransaction, type Db } from '../store/db.ts';
import { finishRun, heartbeat, requeueRun, scheduleRetry, type RunOutcome } from '../store/run-transitions.ts';
import type { RunRow } from '../store/runs.ts';
import { isDependent, queueDownstream } from './dependencies.ts';
import type { RunQueue } from '../store/run-queue.ts';
import { runCommand, runPipeline, type ExecOptions, type ExecResult } from './exec/index.ts';
import { MAX_TIMER_MS } from '../timers.ts';
import { backoffDelayMs, jobTries, retriesExhausted } from './retry-policy.ts';
import { resultFileOf, trainCommand } from '../training/train-command.ts';
import { readFailureFile, readResultFile, removeResultFile, runMetrics, type TrainingFailure } from '../training/result-file.ts';

export type AbortReason = 'cancel' | 'timeout' | 'shutdown' | 'lease_lost';

export interface ExecutionDeps {
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  owner: string;
  settings: Pick<Settings, 'leaseMs' | 'heartbeatMs' | 'killGraceMs' | 'logTailBytes' | 'training' | 'jobNiceness' | 'launcher' | 'dataDir' | 'databaseUrl' | 'artifacts' | 'keepVersions' | 'keepChampions'>;
  /** Threads for a training starting now: its share of NIGHTSHIFT_TRAIN_THREADS among this node's running trainings. */
  trainingThreads?: () => number;
  /** Where the run's end is recorded (with those of other runs ending at the same time) and its start and end reported. */
  queue: RunQueue;
  /** The job's work is over (its process has exited); only recording the end is left. */
  onWorkEnded?: (runId: string) => void;
}

export class RunExecution {
  /** Made when a process starts (or an abort comes first): an empty run ends without one, and making one costs more than the rest of its execution. */
  #controller: AbortController | null = null;
  #reason: AbortReason | null = null;
  #beat: NodeJS.Timeout | null = null;
  /** Read in the claim's transaction; undefined when the job is no longer defined. */
  readonly #job: JobDefinition | undefined;
  /** Every job definition as of the claim: the dependents a success queues. */
  readonly #jobs: ReadonlyMap<string, JobDefinition>;
  /** Set when the command has ended: no heartbeat may be armed after that. */
  #done = false;
  #logger: Logger | null = null;
  /** A train job's typed result (JSON), recorded with its end. */
  #training: string | null = null;
  /** A train job's typed failure: its error code and field are what the run records. */
  #failure: TrainingFailure | null = null;

  constructor(
    readonly run: RunRow,
    jobs: ReadonlyMap<string, JobDefinition>,
    private readonly d: ExecutionDeps,
  ) {
    this.#jobs = jobs;
    this.#job = jobs.get(run.job_id);
  }

  /** This run's logger, made on first use: most runs log only once they are reported. */
  get #log(): Logger {
    const { run, d } = this;
    return (this.#logger ??= d.logger.child({ runId: run.id, jobId: run.job_id, tenantId: run.tenant_id, attempt: run.attempt }));
  }

  abort(reason: AbortReason): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  async execute(): Promise<void> {
    const { run, d } = this;
    d.queue.report(() => this.#log.info({ trigger: run.trigger }, 'run started'));
    let result: ExecResult;
    try {
      // Nothing to wait on (no job, or an empty one): no lease to keep alive, so no heartbeat either.
      if (!this.#job) result = missingJob(run.job_id);
      else if (this.#job.kind === 'empty') result = emptyResult(this.#reason !== null);
      else {
        this.#scheduleBeat();
        result = await this.#spawn(this.#job);
      }
    } finally {
      this.#done = true;
      if (this.#beat) clearTimeout(this.#beat);
    }
    d.onWorkEnded?.(run.id);
    await this.#record(result);
  }

  #signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  #spawn(job: Exclude<JobDefinition, EmptyJob>): Promise<ExecResult> {
    const { run, d } = this;
    const opts: ExecOptions = {
      signal: this.#signal(),
      killGraceMs: d.settings.killGraceMs,
      logTailBytes: d.settings.logTailBytes,
      launcher: d.settings.launcher,
      ...jobPriority(d.settings.jobNiceness, d.logger),
      extraEnv: {
        ...job.env,
        NIGHTSHIFT_RUN_ID: run.id,
        NIGHTSHIFT_TENANT_ID: run.tenant_id,
        NIGHTSHIFT_JOB_ID: run.job_id,
        NIGHTSHIFT_ATTEMPT: String(run.attempt),
        NIGHTSHIFT_TRIGGER: run.trigger,
        NIGHTSHIFT_TRAINING_MODE: d.settings.training.mode,
        ...(run.slot_at !== null ? { NIGHTSHIFT_SLOT_AT: new Date(run.slot_at).toISOString() } : {}),
      },
      onLine: (stream, line) => d.events.emit('run:line', { runId: run.id, stream, line }),
      onSpawn: (pid) => {
        d.events.emit('run:spawned', { runId: run.id, pid });
        // Processes starting together share one statement, and through the commit queue one COMMIT with the runs ending.
        d.queue.recordPid({ tenantId: run.tenant_id, runId: run.id, owner: d.owner, pid, now: d.clock.now() }).catch((error: unknown) => this.#onBeatError(error));
      },
    };
    if (job.kind === 'pipeline') return runPipeline(job.steps, opts);
    if (job.kind === 'train') return this.#train(job, opts);
    return runCommand(job, opts);
  }

  /** A train job: the training process, then its typed result file (what the run records). */
  async #train(_job: TrainJob, opts: ExecOptions): Promise<ExecResult> {
    const { run, d } = this;
    const resultFile = resultFileOf(d.settings.dataDir, run.id, run.attempt);
    const threads = d.trainingThreads?.() ?? 1;
    const result = await runCommand(trainCommand(d.settings, { owner: d.owner, resultFile, threads }), opts);
    try {
      if (result.status === 'failed' || result.status === 'transient') this.#failure = await readFailureFile(resultFile);
      if (result.status !== 'succeeded') return result;
      const training = await readResultFile(resultFile);
      this.#training = JSON.stringify(training);
      return { ...result, outcome: training.outcome, metrics: { ...runMetrics(training), threads } };
    } catch (error) {
      return { ...result, status: 'failed', error: (error as Error).message };
    } finally {
      await removeResultFile(resultFile);
    }
  }

  /** Heartbeat and deadline share one timer, re-armed each time; none waits longer than heartbeatMs. */
  #scheduleBeat(): void {
    const { run, d } = this;
    if (this.#done) return;
    const untilDeadline = (run.deadline_at ?? Infinity) - d.clock.now();
    const wait = Math.max(0, Math.min(d.settings.heartbeatMs, untilDeadline, MAX_TIMER_MS));
    this.#beat = setTimeout(() => void this.#onBeat(), wait);
  }

  async #onBeat(): Promise<void> {
    const { run, d } = this;
    if (this.#reason || this.#done) return;
    const now = d.clock.now();
    if (run.deadline_at !== null && now >= run.deadline_at) {
      this.abort('timeout');
      return;
    }
    try {
      const { cancelRequested } = await inStatement(d.db, (x) => heartbeat(x, run.tenant_id, run.id, d.owner, now, d.settings.leaseMs));
      if (cancelRequested) this.abort('cancel');
    } catch (error) {
      this.#onBeatError(error);
    }
    if (!this.#reason && !this.#done) this.#scheduleBeat();
  }

  #onBeatError(error: unknown): void {
    if (isNsError(error) && error.code === 'NS_LEASE_LOST') {
      this.d.events.emit('run:lease-lost', { runId: this.run.id });
      this.abort('lease_lost');
    } else {
      // A store hiccup: keep beating; the lease outlives a few missed beats.
      this.d.logger.warn({ err: error, runId: this.run.id }, 'heartbeat failed');
    }
  }

  async #record(result: ExecResult): Promise<void> {
    const { run, d } = this;
    const now = d.clock.now();
    const base = {
      exitCode: result.exitCode,
      exitSignal: result.signal,
      outcome: result.outcome ?? null,
      logTail: result.logTail,
      metrics: result.metrics,
      steps: result.steps ?? null,
      result: this.#training,
    };
    // An abort that arrived after the command had already ended changes nothing: its real end counts.
    const reason = result.status === 'aborted' ? this.#reason : null;
    try {
      if (reason === 'lease_lost') {
        this.#log.warn('lease lost while running; another worker owns the run now');
        return;
      }
      if (reason === 'shutdown') {
        await inTransaction(d.db, (x) => requeueRun(x, run.tenant_id, run.id, d.owner, now, 'interrupted by shutdown; resumes on next start'));
        d.events.emit('run:requeued', { runId: run.id, reason: 'shutdown' });
        this.#log.info('run requeued by shutdown');
        return;
      }
      // Only the job's own tries count: executions lost with their worker or put back by a shutdown do not.
      const tries = jobTries(run);
      if (result.status === 'transient' && this.#job && tries < run.max_attempts) {
        const delayMs = backoffDelayMs(this.#job.retry, tries);
        const row = await inTransaction(d.db, (x) =>
          scheduleRetry(x, run.tenant_id, run.id, d.owner, now, now + delayMs, { ...base, errorCode: 'NS_JOB_TRANSIENT', errorMessage: result.error ?? 'transient failure' }),
        );
        // Reported like an end, so it never comes before the run's start when reports are waiting.
        d.queue.report(() => {
          d.events.emit('run:retry', { run: row, delayMs });
          this.#log.warn({ delayMs, error: result.error }, 'transient failure; retry scheduled');
        });
        return;
      }
      const outcome = this.#outcome(result, base, reason);
      // A run whose success queues other jobs records both in one transaction of its own; the
      // others' ends are batched with the runs ending at the same time.
      const finished = this.#hasDependents()
        ? await inTransaction(d.db, async (x) => {
            const row = await finishRun(x, run.tenant_id, run.id, d.owner, now, outcome);
            if (row.status === 'succeeded') for (const next of await queueDownstream(x, d.db.dialect, row, now, this.#jobs.values())) if (next.status === 'queued') d.events.emit('run:queued', { run: next });
            return row;
          })
        : await d.queue.finish({ tenantId: run.tenant_id, runId: run.id, owner: d.owner, now, outcome });
      d.queue.report(() => {
        d.events.emit('run:finished', { run: finished });
        const fields = { status: finished.status, durationMs: finished.duration_ms, outcome: finished.outcome, metrics: result.metrics };
        if (finished.status === 'succeeded') this.#log.info(fields, 'run succeeded');
        else if (finished.status === 'skipped') this.#log.info({ ...fields, reason: finished.reason }, 'run skipped');
        else this.#log.error({ ...fields, error: finished.error_message, exitCode: result.exitCode }, 'run ended without success');
      });
    } catch (error) {
      if (isNsError(error) && error.code === 'NS_LEASE_LOST') this.#log.warn('lease lost before the end could be recorded');
      else throw error;
    }
  }

  #hasDependents(): boolean {
    for (const job of this.#jobs.values()) if (isDependent(job, this.run)) return true;
    return false;
  }

  #outcome(result: ExecResult, base: Omit<RunOutcome, 'status'>, reason: AbortReason | null): RunOutcome {
    const { run } = this;
    const context = { attempt: run.attempt, tries: jobTries(run), maxAttempts: run.max_attempts, recoveries: run.recoveries, interruptions: run.interruptions, exitCode: result.exitCode, signal: result.signal };
    if (reason === 'cancel') return { ...base, status: 'cancelled', errorCode: 'NS_JOB_CANCELLED', errorMessage: 'cancelled on request' };
    if (reason === 'timeout') {
      const message = `timed out after ${Math.round(this.run.timeout_ms / 1000)}s; process killed`;
      return { ...base, status: 'timed_out', errorCode: 'NS_JOB_TIMEOUT', errorMessage: message, errorContext: context };
    }
    if (result.status === 'succeeded' && result.outcome === 'no_training_needed' && this.#job?.kind === 'train') {
      return { ...base, status: 'skipped', reason: 'no_training_needed' };
    }
    if (result.status === 'succeeded') {
      // A training's outcome (promoted, rejected, …) is its result, not an early end.
      const early = result.outcome && this.#job?.kind !== 'train' ? `ended early: ${result.outcome}` : null;
      return { ...base, status: 'succeeded', reason: early };
    }
    const exhausted = result.status === 'transient' ? `; ${retriesExhausted(this.run.max_attempts)}` : '';
    const f = this.#failure;
    if (f) return { ...base, status: 'failed', errorCode: f.code, errorMessage: `${f.message}${exhausted}`, errorContext: { ...context, ...(f.field ? { field: f.field } : {}) } };
    return { ...base, status: 'failed', errorCode: 'NS_JOB_FAILED', errorMessage: `${result.error ?? 'failed'}${exhausted}`, errorContext: context };
  }
}

/**
 * Jobs run below nightshift's own priority, so a CPU-bound training keeps off the API's CPU time.
 * Set by the launcher as soon as the process exists (not on this event loop); processes the job
 * starts later inherit it. Failing to renice (e.g. no permission) is not fatal.
 */
function jobPriority(niceness: number, logger: Logger): { priority?: number } {
  if (niceness <= 0) return {};
  try {
    return { priority: Math.min(19, getPriority(0) + niceness) };
  } catch (error) {
    logger.debug({ err: error }, 'could not read our own priority; jobs keep it');
    return {};
  }
}

/** An empty job's whole execution: nothing to start, so it has succeeded unless already aborted. */
function emptyResult(aborted: boolean): ExecResult {
  const base = { exitCode: null, signal: null, metrics: {}, logTail: '', durationMs: 0 };
  return aborted ? { ...base, status: 'aborted', error: 'aborted before it ran' } : { ...base, status: 'succeeded' };
}

function missingJob(jobId: string): ExecResult {
  return { status: 'failed', exitCode: null, signal: null, metrics: {}, logTail: '', durationMs: 0, error: `job "${jobId}" is not defined` };
}
