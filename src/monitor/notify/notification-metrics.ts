import { Counter, Gauge, type Registry } from 'prom-client';
import type { NotificationService } from './notification-service.ts';

/**
 * The outbox on /metrics: its depth (pending rows, and rows given up) read from the shared store at
 * scrape time, and the delivery attempts this node made, by channel type and outcome.
 */
export function registerNotificationMetrics(registry: Registry, notifications: Pick<NotificationService, 'depth' | 'counts'>): void {
  const registers = [registry];
  new Gauge({
    name: 'nightshift_notification_outbox_depth',
    help: 'Notifications in the outbox by tenant and status: pending (to deliver or retry) and dead (every attempt failed, given up)',
    labelNames: ['tenant', 'status'],
    registers,
    async collect() {
      this.reset();
      for (const row of await notifications.depth()) this.set({ tenant: row.tenant_id, status: row.status }, row.n);
    },
  });
  new Counter({
    name: 'nightshift_notification_deliveries_total',
    help: 'Delivery attempts made by this node since it started, by channel type and outcome (delivered, failed: retried later, dead: given up)',
    labelNames: ['type', 'outcome'],
    registers,
    collect() {
      this.reset();
      for (const [key, n] of notifications.counts) {
        const [type, outcome] = key.split('|') as [string, string];
        this.inc({ type, outcome }, n);
      }
    },
  });
}
