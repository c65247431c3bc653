/**
 * Per-tenant data keys, derived by HKDF-SHA256 from the master key: nothing per tenant is stored,
 * deleting a tenant needs no key bookkeeping, and a key serves one purpose for one tenant
 * (`artifact`, `secret`), so a blob of one tenant or purpose never decrypts as another's.
 */
import { hkdfSync } from 'node:crypto';
import type { MasterKey } from './master-key.ts';

export type KeyPurpose = 'artifact' | 'secret';

const SALT = Buffer.from('nightshift/tenant-key/v1');
const MAX_CACHED = 4096;

export class TenantKeys {
  readonly #cache = new Map<string, Buffer>();

  /** The 32-byte data key of `tenantId` for `purpose` under `master`. */
  key(master: MasterKey, tenantId: string, purpose: KeyPurpose): Buffer {
    const cacheKey = `${master.id}\0${purpose}\0${tenantId}`;
    const hit = this.#cache.get(cacheKey);
    if (hit) return hit;
    const derived = Buffer.from(hkdfSync('sha256', master.bytes, SALT, Buffer.from(`${purpose}\0${tenantId}`, 'utf8'), 32));
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(cacheKey, derived);
    return derived;
  }
}
