/**
 * Who a change is made by, as the audit log records it. The HTTP layer runs each request inside
 * `withActor` (plugin.ts) with the caller authentication put on the request (request.principal),
 * so services record the real subject without an actor parameter on every call. Outside a request
 * the caller says who it is (the CLI), or it is the system (scheduler, trainings, alerts).
 */
import type { Principal } from '../auth/principal.ts';
import { contextEntry, runWithEntries, type ContextEntries } from '../context-store.ts';

export interface AuditActor {
  /** JWT `sub`, `key:<id>` for an API key, `local` for an unauthenticated call on loopback, `cli:<user>`, `system`. */
  subject: string;
  keyId: string | null;
  via: 'jwt' | 'api-key' | 'local' | 'none' | 'cli' | 'system';
  requestId: string | null;
}

export const SYSTEM_ACTOR: AuditActor = Object.freeze({ subject: 'system', keyId: null, via: 'system', requestId: null });

/** An HTTP caller without authentication (no auth configured: the server binds to loopback only). */
export const LOCAL_SUBJECT = 'local';

const ACTOR = Symbol('audit actor');

export function withActor<T>(actor: AuditActor, fn: () => T): T {
  return runWithEntries(actorEntry(actor), fn);
}

/** The actor as a context entry, to enter with others in one runWithEntries (context-store.ts). */
export function actorEntry(actor: AuditActor): ContextEntries {
  return { [ACTOR]: actor };
}

/** The actor of the current request or CLI command; the system outside both. */
export function currentActor(): AuditActor {
  return (contextEntry(ACTOR) as AuditActor | undefined) ?? SYSTEM_ACTOR;
}

/** The actor of an HTTP request: its principal when authentication set one, else the local caller. */
export function requestActor(request: { id: string; principal?: Principal | undefined }): AuditActor {
  const p = request.principal;
  if (!p) return { subject: LOCAL_SUBJECT, keyId: null, via: 'none', requestId: request.id };
  return { subject: p.subject, keyId: p.keyId, via: p.via, requestId: request.id };
}

export function cliActor(user: string): AuditActor {
  return { subject: `cli:${user}`, keyId: null, via: 'cli', requestId: null };
}
