import type { Logger } from 'pino';
import type { LogSpec } from './channel-spec.ts';
import type { Notification } from './events.ts';
import type { DeliveryResult, Sender } from './sender.ts';

/** The `log` channel: one info line per notification in the service's own log. */
export class LogSender implements Sender<LogSpec> {
  constructor(readonly logger: Logger) {}
  async send(_spec: LogSpec, n: Notification): Promise<DeliveryResult> {
    this.logger.info({ notification: n }, `notification ${n.event}: ${n.summary}`);
    return { ok: true, statusCode: null, error: null };
  }
  async close(): Promise<void> {}
}
