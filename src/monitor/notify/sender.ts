import type { ChannelSpec } from './channel-spec.ts';
import type { Notification } from './events.ts';

/** One attempt's result: what the delivery history keeps. */
export interface DeliveryResult {
  ok: boolean;
  /** HTTP status of a webhook's answer; null for MQTT, log, or no answer at all. */
  statusCode: number | null;
  error: string | null;
}

/** Delivers to one type of channel; `nowSec` is the injected clock's time (the signature's timestamp). */
export interface Sender<S extends ChannelSpec = ChannelSpec> {
  send(spec: S, notification: Notification, nowSec: number): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** An error's message, short enough for the delivery history. */
export const errorText = (error: unknown): string => {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(error)}${cause ? ` (${cause})` : ''}`.slice(0, 500);
};
