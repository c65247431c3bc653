/**
 * Who is calling: what authentication (src/auth) puts on every API request, and what authorization,
 * tenant scoping and the audit log read. One shape for bearer JWTs and API keys.
 */
export const ROLES = ['viewer', 'operator', 'admin', 'super_admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** JWT `sub`, `key:<id>` for an API key, or `local` when authentication is off. */
  subject: string;
  /** The API key's id when the caller used one. */
  keyId: string | null;
  role: Role;
  /** The tenants the caller may touch; '*' for a super admin. */
  tenants: readonly string[] | '*';
  /** `local`: authentication is off (NIGHTSHIFT_AUTH=off, loopback only): the caller is this machine's. */
  via: 'jwt' | 'api-key' | 'local';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authentication before any handler runs; absent only on public routes (health, docs). */
    principal?: Principal;
  }
}
