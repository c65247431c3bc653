/**
 * Small secrets of a tenant (webhook signing keys, MQTT passwords) sealed for storage in a text
 * column: AES-256-GCM with the tenant's `secret` key under the current master key, a random nonce,
 * and the tenant and a caller-chosen context (e.g. the channel's id) as associated data, so a sealed
 * value copied to another tenant or another row does not open.
 *
 *   ns1.<master key id hex>.<base64url(nonce(12) | ciphertext | tag(16))>
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { NsError } from '../errors.ts';
import type { MasterKeyring } from './master-key.ts';
import { TenantKeys } from './tenant-keys.ts';

const PREFIX = 'ns1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^ns1\.([0-9a-f]{16})\.([A-Za-z0-9_-]+)$/;

export class SecretSealer {
  readonly #keys = new TenantKeys();

  constructor(readonly keyring: MasterKeyring) {}

  seal(tenantId: string, secret: string, context = ''): string {
    const master = this.keyring.current;
    const nonce = randomBytes(NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#keys.key(master, tenantId, 'secret'), nonce);
    c.setAAD(aad(tenantId, context));
    const body = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
    return `${PREFIX}.${master.id}.${Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64url')}`;
  }

  /** The secret; NS_STORE naming what failed (not a sealed value, unknown key, tampered or moved) otherwise. */
  open(tenantId: string, sealed: string, context = ''): string {
    const m = SEALED.exec(sealed);
    const raw = m ? Buffer.from(m[2] as string, 'base64url') : null;
    // Canonical encoding only: base64's unused trailing bits would otherwise let two texts open alike.
    if (!m || !raw || raw.length < NONCE_BYTES + TAG_BYTES || raw.toString('base64url') !== m[2]) throw new NsError('NS_STORE', 'sealed secret: not a value sealed by nightshift (expected ns1.<key id>.<data>)');
    const master = this.keyring.find(m[1] as string);
    if (!master) {
      throw new NsError('NS_STORE', `sealed secret: sealed with master key ${m[1]}, which this process does not have (it has ${this.keyring.ids.join(', ')}); set NIGHTSHIFT_MASTER_KEY to the key it was sealed with`, {
        details: { reason: 'wrong-key' },
      });
    }
    const d = createDecipheriv('aes-256-gcm', this.#keys.key(master, tenantId, 'secret'), raw.subarray(0, NONCE_BYTES));
    d.setAAD(aad(tenantId, context));
    d.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), d.final()]).toString('utf8');
    } catch (cause) {
      throw new NsError('NS_STORE', `sealed secret of tenant "${tenantId}" fails authentication: it was modified, or sealed for another tenant or context`, {
        cause,
        details: { reason: 'tampered' },
      });
    }
  }

  /** True when the value was sealed under a retired master key: reseal it (open, then seal) during a rotation. */
  needsReseal(sealed: string): boolean {
    return SEALED.exec(sealed)?.[1] !== this.keyring.current.id;
  }
}

function aad(tenantId: string, context: string): Buffer {
  const t = Buffer.from(tenantId, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(context, 'utf8')]);
}
