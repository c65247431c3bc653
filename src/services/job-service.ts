/**
 * Job definitions as callers see them: the list, one job, and each with its schedules, next run and
 * last run. A job that does not run for the tenant asked about is not shown for it.
 */
import type { Clock } from '../clock.ts';
import type { JobDefinition } from '../config/types.ts';
import { NsError, notFound } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { getJob, listJobs } from '../store/jobs.ts';
import { latestRun, type RunRow } from '../store/runs.ts';
import { listSchedules, nextDueAt, type ScheduleRow } from '../store/schedules.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { listTenants } from '../store/tenants.ts';

export interface JobView {
  job: JobDefinition;
  schedules: ScheduleRow[];
  nextRunAt: number | null;
  lastRun: RunRow | null;
}

export class JobService {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  get now(): number {
    return this.#clock.now();
  }

  /** Every job, or those that run for the tenant. */
  async list(tenantId?: string): Promise<JobDefinition[]> {
    const jobs = await listJobs(this.#db.k);
    return tenantId ? jobs.filter((j) => runsFor(j, tenantId)) : jobs;
  }

  async get(id: string): Promise<JobDefinition | undefined> {
    return getJob(this.#db.k, id);
  }

  async require(id: string): Promise<JobDefinition> {
    const job = await getJob(this.#db.k, id);
    if (!job) throw notFound('job', id);
    return job;
  }

  /** The job, which must run for the tenant (NS_VALIDATION naming tenantId otherwise). */
  async requireFor(id: string, tenantId: string): Promise<JobDefinition> {
    const job = await this.require(id);
    if (!runsFor(job, tenantId)) {
      throw new NsError('NS_VALIDATION', `job "${id}" does not run for tenant "${tenantId}" (its tenants: ${job.tenants!.join(', ')})`, { field: 'tenantId' });
    }
    return job;
  }

  /** The job with its schedules, next due run and latest run (of the tenant, or of every tenant). */
  async view(job: JobDefinition, tenantId: string | undefined): Promise<JobView> {
    const x = this.#db.k;
    const scope = tenantId ?? ALL_TENANTS;
    const schedules = await listSchedules(x, scope, { jobId: job.id });
    const tenants = tenantId ? [tenantId] : (job.tenants ?? (await listTenants(x)).map((t) => t.id));
    const latest = (await Promise.all(tenants.map((t) => latestRun(x, t, job.id)))).filter((r) => r !== undefined);
    latest.sort((a, b) => b.queued_at - a.queued_at);
    return { job, schedules, nextRunAt: await nextDueAt(x, scope, job.id), lastRun: latest[0] ?? null };
  }
}

export const runsFor = (job: JobDefinition, tenantId: string): boolean => job.tenants === null || job.tenants.includes(tenantId);
