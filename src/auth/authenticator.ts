/**
 * The bearer credential of a request → its Principal: an API key (`nsk_…`) or a JWT. Every failure
 * is an NsError with a 401 code (docs/errors.md); nothing about why a key failed beyond that.
 */
import type { Clock } from '../clock.ts';
import type { AuthSettings } from '../config/types.ts';
import { NsError } from '../errors.ts';
import type { KeyService } from '../services/key-service.ts';
import { API_KEY_PREFIX } from './api-key-token.ts';
import { JwtVerifier } from './jwt.ts';
import type { Principal } from './principal.ts';

/** Who calls when authentication is off: this machine, as a super admin (loopback only). */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({ subject: 'local', keyId: null, role: 'super_admin', tenants: '*', via: 'local' });

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export class Authenticator {
  readonly #jwt: JwtVerifier;
  readonly #keys: KeyService;

  constructor(auth: AuthSettings, keys: KeyService, clock: Clock) {
    this.#jwt = new JwtVerifier(auth, clock);
    this.#keys = keys;
  }

  /**
   * The principal of a bearer HS256 JWT, known without waiting (JwtVerifier.verifyNow: no promise
   * on the request's path); throws the refusal of such a token. Undefined for every other
   * credential, or none: authenticate() answers those (an API key reads the store, a JWKS is jose's).
   */
  authenticateNow(header: string | undefined): Principal | undefined {
    if (header === undefined || !header.startsWith('Bearer ')) return undefined;
    const credential = header.slice(7).trim();
    if (credential.startsWith(API_KEY_PREFIX)) return undefined;
    const known = this.#jwt.remembered(credential);
    if (known) return known;
    // A token that verifies has JWT_SHAPE (hs256.ts checks every character on the way), so the shape
    // is tested only when it does not: one that lacks it gets authenticate()'s answer, as before.
    try {
      return this.#jwt.verifyUnremembered(credential);
    } catch (error) {
      if (!JWT_SHAPE.test(credential)) return undefined;
      throw error;
    }
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    if (header === undefined || header.trim() === '') {
      throw new NsError('NS_UNAUTHENTICATED', 'this route needs credentials: send Authorization: Bearer <JWT or API key>', { field: 'authorization' });
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new NsError('NS_AUTH_MALFORMED', 'the Authorization header must be "Bearer <JWT or API key>"', { field: 'authorization' });
    const credential = m[1]!;
    if (credential.startsWith(API_KEY_PREFIX)) return this.#keys.authenticate(credential);
    if (!JWT_SHAPE.test(credential)) throw new NsError('NS_AUTH_MALFORMED', 'the bearer credential is neither a JWT nor an API key (nsk_…)', { field: 'authorization' });
    return this.#jwt.verify(credential);
  }
}
