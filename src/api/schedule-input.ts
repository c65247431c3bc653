import type { ScheduleDefinition } from '../config/types.ts';
import type { Engine } from '../engine.ts';
import { notFound } from '../errors.ts';
import { checkJitter, compileTiming, parseDuration } from '../schedule/index.ts';
import { getTenant } from '../store/tenants.ts';
import type { ScheduleBodyT } from './schemas.ts';
import { tenantOrDefault } from './tenant-default.ts';

/**
 * A schedule as sent over HTTP → a definition, checked with the same schedule math the config file
 * uses (invalid cron, unknown zone, bad durations → NS_SCHEDULE_INVALID naming the field).
 */
export async function scheduleFromBody(engine: Engine, id: string, body: ScheduleBodyT): Promise<ScheduleDefinition> {
  const tenantId = await tenantOrDefault(engine, body.tenantId);
  const tenant = await getTenant(engine.db.k, tenantId);
  if (!tenant) throw notFound('tenant', tenantId);
  const timezone = body.timezone ?? tenant.timezone;
  const timing = compileTiming(
    { ...(body.cron !== undefined ? { cron: body.cron } : {}), ...(body.every !== undefined ? { every: body.every } : {}), timezone },
    'schedule',
    timezone,
    { cron: 'cron', every: 'every', timezone: 'timezone' },
  );
  const duration = (value: string | number | undefined, field: string, fallback: number) => (value === undefined ? fallback : parseDuration(value, field));
  const jitterMs = duration(body.jitter, 'jitter', 0);
  checkJitter(timing, jitterMs, 'jitter', engine.clock.now());
  return {
    id,
    tenantId,
    jobId: body.jobId,
    cron: timing.kind === 'cron' ? timing.expression : null,
    everyMs: timing.kind === 'interval' ? timing.everyMs : null,
    timezone: timing.kind === 'cron' ? timing.timezone : timezone,
    enabled: body.enabled ?? true,
    jitterMs,
    misfireGraceMs: duration(body.misfireGrace, 'misfireGrace', engine.settings.misfireGraceMs),
    catchUp: (body.catchUp ?? 'latest') as ScheduleDefinition['catchUp'],
    catchUpMax: body.catchUpMax ?? 10,
    overlap: (body.overlap ?? 'skip') as ScheduleDefinition['overlap'],
  };
}
