import type { ScheduleDefinition } from '../config/types.ts';
import { NsError } from '../errors.ts';
import { DURATION_RANGES } from '../limits.ts';
import { assertTimeZone, checkEvery, checkJitter, compileTiming, MIN_MISFIRE_GRACE_MS, MISFIRE_GRACE_RULE, parseDuration } from '../schedule/index.ts';
import type { Services } from '../services/services.ts';
import type { ScheduleBodyT } from './schemas.ts';

/**
 * A schedule as sent over HTTP → a definition, checked with the same schedule math the config file
 * uses (invalid cron, unknown zone, bad durations → NS_SCHEDULE_INVALID naming the field).
 */
export async function scheduleFromBody(services: Pick<Services, 'tenants' | 'settings' | 'clock'>, id: string, body: ScheduleBodyT): Promise<ScheduleDefinition> {
  const tenantId = await services.tenants.resolve(body.tenantId);
  const tenant = await services.tenants.require(tenantId);
  // Stored and shown in its canonical spelling, for intervals too (their zone only describes them).
  const timezone = assertTimeZone(body.timezone ?? tenant.timezone, 'timezone');
  const timing = compileTiming(
    { ...(body.cron !== undefined ? { cron: body.cron } : {}), ...(body.every !== undefined ? { every: body.every } : {}), timezone },
    'schedule',
    timezone,
    { cron: 'cron', every: 'every', timezone: 'timezone' },
  );
  checkEvery(timing, 'every', body.every);
  const duration = (value: string | number | undefined, field: 'jitter' | 'misfireGrace', fallback: number, example: string) =>
    value === undefined ? fallback : parseDuration(value, field, DURATION_RANGES[field], example);
  const jitterMs = duration(body.jitter, 'jitter', 0, '5m');
  checkJitter(timing, jitterMs, 'jitter', services.clock.now());
  // Below its minimum, a misfire grace gets the rule that says why (and what to do instead), not only the range.
  if (body.misfireGrace !== undefined && parseDuration(body.misfireGrace, 'misfireGrace') < MIN_MISFIRE_GRACE_MS) {
    throw new NsError('NS_SCHEDULE_INVALID', `misfireGrace="${String(body.misfireGrace)}": ${MISFIRE_GRACE_RULE}; example "1h"`, { field: 'misfireGrace' });
  }
  const misfireGraceMs = duration(body.misfireGrace, 'misfireGrace', services.settings.misfireGraceMs, '1h');
  return {
    id,
    tenantId,
    jobId: body.jobId,
    cron: timing.kind === 'cron' ? timing.expression : null,
    everyMs: timing.kind === 'interval' ? timing.everyMs : null,
    timezone,
    enabled: body.enabled ?? true,
    jitterMs,
    misfireGraceMs,
    catchUp: (body.catchUp ?? 'latest') as ScheduleDefinition['catchUp'],
    catchUpMax: body.catchUpMax ?? 10,
    overlap: (body.overlap ?? 'skip') as ScheduleDefinition['overlap'],
  };
}
