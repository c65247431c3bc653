/**
 * What nightshift tells: the engine's events turned into notifications. A run's end (succeeded,
 * failed, skipped) with its metrics, a training's version promoted or rejected, a champion changed
 * by hand (promote, rollback), an alert opened or resolved. seed 003's notifyOnSuccess /
 * notifyOnFailure decide for runs: the schedule's setting, else the model's, else the global one.
 *
 * Each notification has an idempotency key made from what it is about (a run id, an alert id), so
 * the same event seen twice is written to the outbox once.
 */
import type { NotificationSettings } from '../../config/types.ts';
import type { AlertEventPayload, EngineEventMap } from '../../events.ts';
import type { RunRow } from '../../store/runs.ts';
import type { NotificationBody, NotificationEvent } from './events.ts';

export interface SourcedNotification {
  key: string;
  body: NotificationBody;
}

/** The parts of a training's result file a notification shows. */
interface TrainingResultView {
  outcome?: string;
  message?: string;
  metrics?: Record<string, number | null>;
  version?: { version: number; name: string } | null;
  championBefore?: number | null;
  gate?: { passed: boolean; summary: string } | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

function parseJson<T>(text: string | null): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** Whether a run's notification of this kind is wanted (schedule, then model, then global). */
export function wanted(settings: NotificationSettings, kind: 'success' | 'failure', model: string | null, scheduleId: string | null): boolean {
  const key = kind === 'success' ? 'notifyOnSuccess' : 'notifyOnFailure';
  const bySchedule = scheduleId !== null ? settings.schedules[scheduleId]?.[key] : undefined;
  if (bySchedule !== undefined) return bySchedule;
  const byModel = model !== null ? settings.models[model]?.[key] : undefined;
  if (byModel !== undefined) return byModel;
  return settings[key];
}

/** The notifications of a run that ended. `model`: the model its job trains, if any. */
export function runNotifications(run: RunRow, model: string | null, settings: NotificationSettings): SourcedNotification[] {
  const event: NotificationEvent | null =
    run.status === 'succeeded' ? 'run.succeeded' : run.status === 'failed' || run.status === 'timed_out' ? 'run.failed' : run.status === 'skipped' ? 'run.skipped' : null;
  if (!event) return [];
  const kind = event === 'run.failed' ? 'failure' : 'success';
  if (!wanted(settings, kind, model, run.schedule_id)) return [];
  const result = parseJson<TrainingResultView>(run.result);
  const metrics: Record<string, number | null> = { ...(parseJson<Record<string, number>>(run.metrics) ?? {}), ...(result?.metrics ?? {}) };
  const at = run.finished_at ?? run.updated_at;
  const base = {
    tenant: run.tenant_id,
    model,
    at: iso(at),
    metrics,
    run: {
      id: run.id,
      job: run.job_id,
      schedule: run.schedule_id,
      status: run.status,
      outcome: run.outcome,
      trigger: run.trigger,
      durationMs: run.duration_ms,
      error: run.error_message,
    },
    version: result?.version ? { version: result.version.version, previous: result.championBefore ?? null, gate: result.gate?.summary ?? null } : null,
    alert: null,
  };
  const took = run.duration_ms !== null ? ` in ${(run.duration_ms / 1000).toFixed(1)} s` : '';
  const what = model ? `training of ${model}` : `job ${run.job_id}`;
  const summary =
    event === 'run.succeeded'
      ? `${what} succeeded${took}${result?.message ? `: ${result.message}` : ''}`
      : event === 'run.failed'
        ? `${what} ${run.status === 'timed_out' ? 'timed out' : 'failed'}${took}: ${run.error_message ?? run.reason ?? 'no reason recorded'}`
        : `${what} skipped: ${run.reason ?? run.outcome ?? 'no reason recorded'}`;
  const out: SourcedNotification[] = [{ key: `${event}:${run.id}`, body: { event, summary, ...base } }];
  if (result?.version && (run.outcome === 'promoted' || run.outcome === 'rejected')) {
    const versionEvent: NotificationEvent = run.outcome === 'promoted' ? 'version.promoted' : 'version.rejected';
    out.push({ key: `${versionEvent}:${run.id}`, body: { event: versionEvent, summary: result.message ?? `${result.version.name} ${run.outcome}`, ...base } });
  }
  return out;
}

/** A slot recorded as skipped (its model still running, by default): no run row exists for it. */
export function skippedSlotNotification(
  slot: EngineEventMap['slot:decided'],
  model: string | null,
  settings: NotificationSettings,
): SourcedNotification | null {
  if (slot.fate !== 'skipped' || !wanted(settings, 'success', model, slot.scheduleId)) return null;
  return {
    // The run a skipped slot may leave has the key its run:finished would give (one notification).
    key: slot.runId ? `run.skipped:${slot.runId}` : `run.skipped:${slot.scheduleId}:${slot.slotAt}`,
    body: {
      event: 'run.skipped',
      tenant: slot.tenantId,
      model,
      at: iso(slot.decidedAt),
      summary: `slot ${iso(slot.slotAt)} of schedule ${slot.scheduleId} skipped: ${slot.reason ?? 'no reason recorded'}`,
      metrics: {},
      run: null,
      version: null,
      alert: null,
    },
  };
}

/** A champion changed by hand: a promotion, or a rollback. */
export function aliasNotification(change: EngineEventMap['model:alias-changed'], at: number): SourcedNotification {
  const event: NotificationEvent = change.action === 'rollback' ? 'model.rollback' : 'version.promoted';
  const by = change.actor ? ` by ${change.actor}` : '';
  const summary =
    change.action === 'rollback'
      ? `champion of ${change.model} rolled back from v${change.from ?? '-'} to v${change.to}${by}: ${change.reason}`
      : `v${change.to} of ${change.model} promoted${by}: ${change.reason}`;
  return {
    key: `${event}:${change.model}:${change.from ?? 0}>${change.to}:${at}`,
    body: { event, tenant: change.tenantId, model: change.model, at: iso(at), summary, metrics: {}, run: null, version: { version: change.to, previous: change.from, gate: null }, alert: null },
  };
}

export function alertNotification(alert: AlertEventPayload, event: 'alert.opened' | 'alert.resolved'): SourcedNotification {
  const at = event === 'alert.resolved' ? (alert.resolvedAt ?? alert.openedAt) : alert.openedAt;
  const where = alert.model ? ` on ${alert.model}` : '';
  return {
    key: `${event}:${alert.id}`,
    body: {
      event,
      tenant: alert.tenantId,
      model: alert.model,
      at: iso(at),
      summary: `${alert.type} ${event === 'alert.opened' ? 'opened' : 'resolved'}${where}: ${alert.message}`,
      metrics: alert.value !== null ? { value: alert.value, ...(alert.threshold !== null ? { threshold: alert.threshold } : {}) } : {},
      run: null,
      version: null,
      alert: { id: alert.id, type: alert.type, severity: alert.severity, status: alert.status, message: alert.message, value: alert.value, threshold: alert.threshold },
    },
  };
}
