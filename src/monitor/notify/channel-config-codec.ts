/**
 * A channel's settings as stored: sealed per tenant (crypto/sealer.ts, the master key that encrypts
 * artifacts), because they hold its secrets (a webhook's signing key, a Slack URL's token, an MQTT
 * password). The channel's id is the sealed value's context, so a value copied to another channel or
 * tenant does not open. Rows written before sealing existed (plain JSON) are still read.
 */
import type { SecretSealer } from '../../crypto/sealer.ts';
import type { ChannelSpec } from './channel-spec.ts';

export interface ChannelConfigCodec {
  encode(tenantId: string, channelId: string, spec: ChannelSpec): string;
  decode(tenantId: string, channelId: string, stored: string): ChannelSpec;
}

const context = (channelId: string) => `notification-channel:${channelId}`;

export function sealedChannelConfig(sealer: SecretSealer): ChannelConfigCodec {
  return {
    encode: (tenantId, channelId, spec) => sealer.seal(tenantId, JSON.stringify(spec), context(channelId)),
    decode: (tenantId, channelId, stored) => JSON.parse(stored.startsWith('{') ? stored : sealer.open(tenantId, stored, context(channelId))) as ChannelSpec,
  };
}

/**
 * A stored value sealed again under the sealer's current master key (a master key rotation), or
 * null when it is sealed under that key already. Plain JSON rows are sealed now. A value that does
 * not open (a key this process lacks, tampered) throws NS_STORE.
 */
export function resealChannelConfig(sealer: SecretSealer, tenantId: string, channelId: string, stored: string): string | null {
  const plain = stored.startsWith('{');
  if (!plain && !sealer.needsReseal(stored)) return null;
  return sealer.seal(tenantId, plain ? stored : sealer.open(tenantId, stored, context(channelId)), context(channelId));
}

/** Plain JSON: for stores and tests that give no sealer. */
export const PLAIN_CHANNEL_CONFIG: ChannelConfigCodec = Object.freeze({
  encode: (_t: string, _c: string, spec: ChannelSpec) => JSON.stringify(spec),
  decode: (_t: string, _c: string, stored: string) => JSON.parse(stored) as ChannelSpec,
});
