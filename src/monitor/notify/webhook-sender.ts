/**
 * Webhooks over Node's fetch: POST of the notification (JSON, or Slack/Teams `text`), signed, with
 * the idempotency key a receiver uses to drop a delivery it has seen (a retry after a lost answer).
 */
import type { WebhookSpec } from './channel-spec.ts';
import type { Notification } from './events.ts';
import { errorText, type DeliveryResult, type Sender } from './sender.ts';
import { DELIVERY_HEADER, EVENT_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { notificationText } from './text-format.ts';

export class WebhookSender implements Sender<WebhookSpec> {
  async send(spec: WebhookSpec, n: Notification, nowSec: number): Promise<DeliveryResult> {
    const body = spec.format === 'text' ? JSON.stringify({ text: notificationText(n) }) : JSON.stringify(n);
    const headers: Record<string, string> = {
      ...spec.headers,
      'content-type': 'application/json',
      'user-agent': 'nightshift-webhook/1',
      [EVENT_HEADER]: n.event,
      [DELIVERY_HEADER]: n.id,
      [IDEMPOTENCY_HEADER]: n.idempotencyKey,
    };
    if (spec.secret) headers[SIGNATURE_HEADER] = signatureHeader(spec.secret, nowSec, body);
    try {
      const response = await fetch(spec.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(spec.timeoutMs), redirect: 'manual' });
      // Read the answer to its end: the connection goes back to the pool for the next delivery.
      const answer = await response.text().catch(() => '');
      if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status, error: null };
      return { ok: false, statusCode: response.status, error: `HTTP ${response.status}${answer ? `: ${answer.slice(0, 200)}` : ''}` };
    } catch (error) {
      return { ok: false, statusCode: null, error: errorText(error) };
    }
  }

  async close(): Promise<void> {}
}
