/**
 * The webhook signature, as receivers verify it: `X-Nightshift-Signature: t=<unix seconds>,v1=<hex>`
 * where hex is HMAC-SHA256(secret, `${t}.${body}`) over the exact bytes of the body. The timestamp
 * is signed too, so a receiver refuses an old request replayed (the tolerance, default 5 minutes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-nightshift-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const EVENT_HEADER = 'x-nightshift-event';
export const DELIVERY_HEADER = 'x-nightshift-delivery';

export function signatureHeader(secret: string, timestampSec: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
  return `t=${timestampSec},v1=${v1}`;
}

/** True when `header` signs `body` with `secret`, made within `toleranceSec` of `nowSec`. */
export function verifySignature(secret: string, header: string | undefined, body: string, nowSec: number, toleranceSec = 300): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isSafeInteger(t) || !given || Math.abs(nowSec - t) > toleranceSec) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
