/**
 * API keys for machines: created for one tenant and one role (a super admin's for every tenant),
 * shown once, stored as the sha256 of their secret, listed without it, revoked (never deleted).
 * Authenticating a key is one indexed read; a revoked key stops working on the next request, on
 * every node.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { hashSecret, keyText, newSecret, parseKeyText, secretMatches } from '../auth/api-key-token.ts';
import { ROLES, type Principal, type Role } from '../auth/principal.ts';
import { NsError } from '../errors.ts';
import { newId } from '../ids.ts';
import { NO_AUDIT, type AuditRecorder } from './audit-service.ts';
import { countApiKeys, getApiKey, insertApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../store/api-keys.ts';
import { inTransaction, LOCK_KEYS, type Db } from '../store/db.ts';
import type { TenantService } from './tenant-service.ts';

export interface ApiKeyView {
  id: string;
  name: string;
  /** The tenant it acts for; '*' for a super admin's key. */
  tenant: string;
  role: Role;
  createdAt: number;
  createdBy: string;
  revokedAt: number | null;
}

export interface NewApiKey {
  tenant: string;
  role: Role;
  name?: string | undefined;
  /** Who asked (the principal's subject, or `cli`). */
  createdBy: string;
}

export interface KeyServiceDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  tenants: TenantService;
  /** Creations and revocations are recorded (who, which key, its tenant and role; never the secret). */
  audit?: AuditRecorder;
}

const viewOf = (r: ApiKeyRow): ApiKeyView => ({ id: r.id, name: r.name, tenant: r.tenant, role: r.role as Role, createdAt: r.created_at, createdBy: r.created_by, revokedAt: r.revoked_at });

export class KeyService {
  readonly #d: KeyServiceDeps;

  constructor(deps: KeyServiceDeps) {
    this.#d = deps;
  }

  /** The key and its text; the text is never stored nor shown again. */
  async create(input: NewApiKey): Promise<{ key: ApiKeyView; token: string }> {
    return this.#audit.track((c: { key: ApiKeyView }) => ({ action: 'key.create', tenantId: c.key.tenant === '*' ? null : c.key.tenant, target: `key/${c.key.id}`, after: { role: c.key.role, tenant: c.key.tenant, name: c.key.name } }), () => this.#create(input));
  }

  get #audit(): AuditRecorder {
    return this.#d.audit ?? NO_AUDIT;
  }

  async #create(input: NewApiKey): Promise<{ key: ApiKeyView; token: string }> {
    const row = await this.#row(input);
    const secret = newSecret();
    await inTransaction(this.#d.db, (tx) => insertApiKey(tx, { ...row, secret_sha256: hashSecret(secret) }));
    this.#d.logger.info({ keyId: row.id, tenant: row.tenant, role: row.role, createdBy: row.created_by }, 'API key created');
    return { key: viewOf({ ...row, secret_sha256: '' }), token: keyText(row.id, secret) };
  }

  /**
   * On the very first start (no key was ever created), a super admin key, so a fresh install can be
   * called at once; null afterwards, even when every key has since been revoked.
   */
  async createFirstKey(): Promise<{ key: ApiKeyView; token: string } | null> {
    const secret = newSecret();
    const row = await this.#row({ tenant: '*', role: 'super_admin', name: 'first start', createdBy: 'nightshift serve' });
    const created = await inTransaction(
      this.#d.db,
      async (tx) => {
        if ((await countApiKeys(tx)) > 0) return false;
        await insertApiKey(tx, { ...row, secret_sha256: hashSecret(secret) });
        return true;
      },
      { lock: LOCK_KEYS.firstKey },
    );
    if (!created) return null;
    this.#d.logger.info({ keyId: row.id, role: row.role }, 'first super admin API key created (printed once)');
    return { key: viewOf({ ...row, secret_sha256: '' }), token: keyText(row.id, secret) };
  }

  /** Every key when `tenant` is null; else that tenant's. */
  async list(tenant: string | null): Promise<ApiKeyView[]> {
    return (await listApiKeys(this.#d.db.k, tenant)).map(viewOf);
  }

  /** Revokes a live key; another tenant's key (tenant given) is not found, exactly as a missing one. */
  async revoke(tenant: string | null, id: string): Promise<ApiKeyView> {
    return this.#audit.track((k: ApiKeyView) => ({ action: 'key.revoke', tenantId: k.tenant === '*' ? null : k.tenant, target: `key/${k.id}`, before: { revokedAt: null }, after: { revokedAt: k.revokedAt } }), () => this.#revoke(tenant, id));
  }

  async #revoke(tenant: string | null, id: string): Promise<ApiKeyView> {
    const row = await getApiKey(this.#d.db.k, id);
    if (!row || (tenant !== null && row.tenant !== tenant)) throw new NsError('NS_NOT_FOUND', `API key "${id}" does not exist`, { field: 'id', details: { id } });
    if (row.revoked_at !== null) throw new NsError('NS_CONFLICT', `API key "${id}" is already revoked`, { field: 'id', details: { id } });
    const now = this.#d.clock.now();
    await inTransaction(this.#d.db, (tx) => revokeApiKey(tx, id, now));
    this.#d.logger.info({ keyId: id, tenant: row.tenant }, 'API key revoked');
    return viewOf({ ...row, revoked_at: now });
  }

  /** The principal of a live key; NS_AUTH_KEY_INVALID for an unknown, revoked or wrong one. */
  async authenticate(text: string): Promise<Principal> {
    const parsed = parseKeyText(text);
    if (!parsed) throw new NsError('NS_AUTH_MALFORMED', 'the API key is not well-formed (nsk_<id>.<secret>)', { field: 'authorization' });
    const row = await getApiKey(this.#d.db.k, parsed.id);
    if (!row || row.revoked_at !== null || !secretMatches(parsed.secret, row.secret_sha256)) {
      throw new NsError('NS_AUTH_KEY_INVALID', 'the API key is unknown or revoked; create one with `nightshift keys create`', { field: 'authorization' });
    }
    return { subject: `key:${row.id}`, keyId: row.id, role: row.role as Role, tenants: row.tenant === '*' ? '*' : Object.freeze([row.tenant]), via: 'api-key' };
  }

  async #row(input: NewApiKey): Promise<Omit<ApiKeyRow, 'secret_sha256'>> {
    if (!(ROLES as readonly string[]).includes(input.role)) throw new NsError('NS_VALIDATION', `role: must be one of ${ROLES.join(', ')}`, { field: 'role' });
    if ((input.role === 'super_admin') !== (input.tenant === '*')) {
      throw new NsError('NS_VALIDATION', input.role === 'super_admin' ? 'tenant: a super_admin key acts for every tenant; give tenant "*"' : `tenant: a ${input.role} key acts for one tenant; name it (only super_admin keys take "*")`, { field: 'tenant' });
    }
    if (input.tenant !== '*') await this.#d.tenants.require(input.tenant, 'tenant');
    const name = input.name?.trim() || `${input.role} key`;
    if (name.length > 200) throw new NsError('NS_VALIDATION', 'name: at most 200 characters', { field: 'name' });
    const now = this.#d.clock.now();
    return { id: newId('key', now), name, tenant: input.tenant, role: input.role, created_at: now, created_by: input.createdBy, revoked_at: null };
  }
}
