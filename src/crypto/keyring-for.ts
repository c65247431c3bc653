/**
 * The keyring and sealer a process uses, from its settings: NIGHTSHIFT_MASTER_KEY, else the data
 * dir's key file (created on first use unless `create` is false). Artifacts (registry/artifact-codec.ts)
 * and sealed secrets (notification channels) share it, so one rotation covers both.
 */
import { masterKeyEnv } from '../config/master-key-env.ts';
import { loadMasterKeyring, type MasterKeyring } from './master-key.ts';
import { SecretSealer } from './sealer.ts';

export function keyringFor(settings: { dataDir: string }, options: { create?: boolean } = {}): MasterKeyring {
  return loadMasterKeyring({ dataDir: settings.dataDir, env: masterKeyEnv(), ...options });
}

export function sealerFor(settings: { dataDir: string }): SecretSealer {
  return new SecretSealer(keyringFor(settings));
}
