/** The codec a process reads and writes artifacts with: encrypted under the master key of its settings. */
import { keyringFor } from '../crypto/keyring-for.ts';
import type { MasterKeyring } from '../crypto/master-key.ts';
import { EncryptedCodec } from './encrypted-codec.ts';

export interface CodecSettings {
  dataDir: string;
}

/** NIGHTSHIFT_MASTER_KEY, or the data dir's key file (created on first use unless `create` is false). */
export function artifactKeyring(settings: CodecSettings, options: { create?: boolean } = {}): MasterKeyring {
  return keyringFor(settings, options);
}

export function artifactCodec(settings: CodecSettings, options: { create?: boolean } = {}): EncryptedCodec {
  return new EncryptedCodec(artifactKeyring(settings, options));
}
