/**
 * The seed's single-variable interface: every job with role "training" runs on ML_TRAINING_SCHEDULE
 * (enabled by ML_TRAINING_ENABLED) and every "analysis" job on ANALYSIS_SCHEDULE, for each tenant it
 * runs for, unless the file already schedules that (tenant, job) pair explicitly.
 */
import { DEFAULTS } from './defaults.ts';
import type { Definitions } from './definitions.ts';
import type { Origins, Scalars } from './scalars.ts';
import type { ScheduleDefinition } from './types.ts';
import { invalidValue, type At } from './values.ts';

export const implicitScheduleId = (tenantId: string, jobId: string) => `${tenantId}.${jobId}`;

export function withImplicitSchedules(defs: Definitions, s: Scalars, origins: Origins): ScheduleDefinition[] {
  const explicit = new Set(defs.schedules.map((x) => `${x.tenantId}\u0000${x.jobId}`));
  const takenIds = new Map(defs.schedules.map((x) => [x.id, x]));
  const added: ScheduleDefinition[] = [];
  for (const job of defs.jobs) {
    if (job.role === null) continue;
    const cron = job.role === 'training' ? s.training.schedule : s.analysis.schedule;
    const enabled = job.role === 'training' ? s.training.enabled : true;
    for (const tenant of defs.tenants) {
      if (job.tenants !== null && !job.tenants.includes(tenant.id)) continue;
      if (explicit.has(`${tenant.id}\u0000${job.id}`)) continue;
      const id = implicitScheduleId(tenant.id, job.id);
      const clash = takenIds.get(id);
      if (clash) {
        const source = job.role === 'training' ? 'ML_TRAINING_SCHEDULE' : 'ANALYSIS_SCHEDULE';
        const at: At = origins.get(`${job.role}.schedule`)?.at ?? { file: null, path: source };
        throw invalidValue(
          at,
          cron,
          `the implicit schedule "${id}" for job "${job.id}" clashes with schedule "${id}" (tenant "${clash.tenantId}", job "${clash.jobId}"); rename that schedule`,
        );
      }
      added.push({
        id,
        tenantId: tenant.id,
        jobId: job.id,
        cron,
        everyMs: null,
        timezone: tenant.timezone,
        enabled,
        jitterMs: DEFAULTS.schedule.jitterMs,
        misfireGraceMs: s.misfireGraceMs,
        catchUp: DEFAULTS.schedule.catchUp,
        catchUpMax: DEFAULTS.schedule.catchUpMax,
        overlap: DEFAULTS.schedule.overlap,
      });
    }
  }
  return [...defs.schedules, ...added];
}
