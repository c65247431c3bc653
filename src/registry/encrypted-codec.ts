/**
 * The artifact codec the service uses: AES-256-GCM with the tenant's artifact key under the current
 * master key (crypto/artifact-cipher.ts). Artifacts stored before encryption (plaintext, codec
 * `identity`) stay readable, still verified against the hash their version names, until `nightshift
 * keys rotate-master` re-encrypts them with every other artifact.
 */
import { decryptArtifact, isEncrypted, keyIdOf, encryptArtifact } from '../crypto/artifact-cipher.ts';
import type { MasterKeyring } from '../crypto/master-key.ts';
import { TenantKeys } from '../crypto/tenant-keys.ts';
import type { ArtifactCodec, ArtifactRef } from './artifact-storage.ts';

export const ENCRYPTED_CODEC = 'aes-256-gcm';

export class EncryptedCodec implements ArtifactCodec {
  readonly name = ENCRYPTED_CODEC;
  readonly #keys = new TenantKeys();

  constructor(readonly keyring: MasterKeyring) {}

  encode(tenantId: string, plain: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    const master = this.keyring.current;
    return encryptArtifact(master, this.#keys.key(master, tenantId, 'artifact'), tenantId, plain);
  }

  decode(ref: ArtifactRef, stored: Buffer): Buffer {
    // Plaintext from before encryption: returned as it is, and the caller checks it against the hash.
    if (!isEncrypted(stored)) return stored;
    return decryptArtifact(
      stored,
      ref.tenantId,
      ref.sha256,
      (id) => this.keyring.find(id),
      (master) => this.#keys.key(master, ref.tenantId, 'artifact'),
      () => this.keyring.ids,
    );
  }

  reads(codecName: string): boolean {
    return codecName === ENCRYPTED_CODEC || codecName === 'identity';
  }

  isCurrent(stored: Buffer): boolean {
    return keyIdOf(stored) === this.keyring.current.id;
  }
}
