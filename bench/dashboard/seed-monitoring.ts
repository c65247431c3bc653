/**
 * The dashboard benchmark's alerts, notifications and audit log (setup, not measured), at the scale
 * a year of the seeded fleet leaves: 5 alerts per model (5,000; one in ten still active), 20
 * delivered notifications per model (20,000, to one webhook channel per tenant) and 50 audit
 * entries per model (50,000), inserted with the store's own statements.
 */
import { randomBytes } from 'node:crypto';
import { newId } from '../../src/ids.ts';
import { insertAlerts, type AlertRow } from '../../src/store/alerts.ts';
import { insertAuditRow } from '../../src/store/audit.ts';
import { inTransaction, type Db } from '../../src/store/db.ts';
import { insertOutboxRows, OUTBOX_STATUS, type OutboxRow } from '../../src/store/notification-outbox.ts';

export const ALERTS_PER_MODEL = 5;
export const NOTIFICATIONS_PER_MODEL = 20;
export const AUDIT_PER_MODEL = 50;
const HOUR = 3_600_000;
const TYPES = ['LOW_ACCURACY', 'TRAINING_FAILURE', 'MODEL_DEGRADATION', 'DATA_DRIFT', 'STALE_MODEL'];
const EVENTS = ['run.succeeded', 'version.promoted', 'run.failed', 'alert.opened', 'alert.resolved'];
const ACTIONS = ['model.train', 'training.finished', 'model.promote', 'schedule.upsert', 'samples.ingest'];

const CHUNK = 500;
async function chunked<T>(rows: T[], insert: (part: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}

/** One tenant's models' alerts, notifications and audit entries. */
export async function seedMonitoring(db: Db, tenantId: string, models: readonly string[], now: number): Promise<void> {
  const alerts: AlertRow[] = [];
  const outbox: OutboxRow[] = [];
  const audit: Array<Parameters<typeof insertAuditRow>[1]> = [];
  for (const [m, model] of models.entries()) {
    for (let i = 0; i < ALERTS_PER_MODEL; i++) {
      const openedAt = now - (i * 24 + m) * HOUR;
      // One in ten active: the newest alert of every other model (each type once per model, so the one-active index holds).
      const active = i === 0 && m % 2 === 0;
      const acknowledged = active && m % 4 === 0;
      alerts.push({
        id: newId('alert', openedAt),
        tenant_id: tenantId,
        model_name: model,
        subject: '',
        type: TYPES[i % TYPES.length]!,
        severity: i % 3 === 0 ? 'critical' : 'warning',
        status: acknowledged ? 'acknowledged' : active ? 'open' : 'resolved',
        message: `live accuracy of champion v2 is 0.${70 + (m % 5)} on 400 labelled prediction(s), below 0.75`,
        value: 0.7 + (m % 5) / 100,
        threshold: 0.75,
        opened_at: openedAt,
        updated_at: openedAt,
        acknowledged_at: acknowledged ? openedAt + HOUR : null,
        acknowledged_by: acknowledged ? 'ops' : null,
        resolved_at: active ? null : openedAt + 6 * HOUR,
        resolution: active ? null : 'cleared',
      });
    }
    for (let i = 0; i < NOTIFICATIONS_PER_MODEL; i++) {
      const at = now - (i * 12 + (m % 12)) * HOUR;
      const event = EVENTS[i % EVENTS.length]!;
      outbox.push({
        id: newId('ntf', at),
        tenant_id: tenantId,
        channel_id: 'ops-hook',
        event,
        idem_key: `${tenantId}:${model}:${event}:${i}`,
        payload: JSON.stringify({ event, tenant: tenantId, model, at: new Date(at).toISOString() }),
        status: OUTBOX_STATUS.delivered,
        attempts: 1,
        next_attempt_at: at,
        lease_owner: null,
        lease_expires_at: null,
        last_status_code: 200,
        last_error: null,
        created_at: at,
        updated_at: at + 40,
        delivered_at: at + 40,
      });
    }
    for (let i = 0; i < AUDIT_PER_MODEL; i++) {
      const at = now - (i * 7 + (m % 7)) * HOUR;
      const action = ACTIONS[i % ACTIONS.length]!;
      audit.push({
        // The audit service's id shape (time, sequence, random): its cursor checks it.
        id: `aud_${at.toString(36).padStart(9, '0')}${(m * AUDIT_PER_MODEL + i).toString(36).padStart(6, '0')}${randomBytes(4).toString('hex')}`,
        at,
        tenant_id: tenantId,
        subject: i % 2 ? 'system' : 'key:ops',
        key_id: null,
        via: i % 2 ? 'system' : 'api-key',
        action,
        target: `model/${tenantId}/${model}`,
        before_state: null,
        after_state: JSON.stringify({ version: 2, runId: null }),
        request_id: null,
      });
    }
  }
  await inTransaction(db, async (x) => {
    await chunked(alerts, (part) => insertAlerts(x, part));
    await chunked(outbox, (part) => insertOutboxRows(x, part));
    for (const row of audit) await insertAuditRow(x, row);
  });
}
