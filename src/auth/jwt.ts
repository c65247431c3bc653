/**
 * Bearer JWTs (jose): HS256 with NIGHTSHIFT_JWT_SECRET, RS256/ES256 with the keys of NIGHTSHIFT_JWKS
 * (a file read at start, or a URL fetched and cached by jose). The token's alg picks the key; any
 * other alg, `none` included, is refused before a key is looked at. Every refusal is a 401 with a
 * stable code (docs/errors.md), never jose's own text.
 */
import { readFileSync } from 'node:fs';
import { createSecretKey, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../clock.ts';
import type { AuthSettings } from '../config/types.ts';
import { NsError } from '../errors.ts';
import { CLOCK_TOLERANCE_S, Hs256Verifier } from './hs256.ts';
import { ROLES, type Principal, type Role } from './principal.ts';
import { RecurringTokens } from './recurring-tokens.ts';
import { refuse } from './refusal.ts';

const ASYMMETRIC = ['RS256', 'ES256'] as const;
/** Verified HS256 tokens kept (a client sends the same token with every request until it expires), from their second verification (recurring-tokens.ts). */
const VERIFIED_CACHE_SIZE = 1024;

interface Verified {
  principal: Principal;
  /** Seconds: valid while nbf − tolerance ≤ now < exp + tolerance, as Hs256Verifier.verify checks. */
  notBeforeS: number;
  expiresS: number;
}

export class JwtVerifier {
  readonly #secret: KeyObject | null;
  readonly #hs256: Hs256Verifier | null;
  readonly #jwks: JWTVerifyGetKey | null;
  readonly #algorithms: string[];
  readonly #auth: AuthSettings;
  readonly #clock: Clock;
  readonly #verified = new Map<string, Verified>();
  /** Which tokens were verified before: only those are remembered (recurring-tokens.ts). */
  readonly #recurring = new RecurringTokens();
  readonly #principals = new Principals();

  constructor(auth: AuthSettings, clock: Clock) {
    this.#auth = auth;
    this.#clock = clock;
    const secretBytes = auth.jwtSecret ? Buffer.from(auth.jwtSecret) : null;
    this.#secret = secretBytes ? createSecretKey(secretBytes) : null;
    this.#hs256 = secretBytes ? new Hs256Verifier(secretBytes, auth) : null;
    this.#jwks = auth.jwks ? jwksOf(auth.jwks) : null;
    this.#algorithms = [...(this.#secret ? ['HS256'] : []), ...(this.#jwks ? ASYMMETRIC : [])];
  }

  get configured(): boolean {
    return this.#algorithms.length > 0;
  }

  async verify(token: string): Promise<Principal> {
    if (!this.configured) throw refuse('NS_AUTH_ALGORITHM', 'bearer JWTs are not accepted here: no NIGHTSHIFT_JWT_SECRET or NIGHTSHIFT_JWKS is configured; use an API key');
    const now = this.verifyNow(token);
    if (now) return now;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, input) => (header.alg === 'HS256' ? this.#secret! : this.#jwks!(header, input)), {
        algorithms: this.#algorithms,
        ...(this.#auth.issuer ? { issuer: this.#auth.issuer } : {}),
        ...(this.#auth.audience ? { audience: this.#auth.audience } : {}),
        currentDate: new Date(this.#clock.now()),
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (error) {
      throw joseRefusal(error);
    }
    return this.#principals.of(payload);
  }

  /**
   * A token this verifier accepted before, while its nbf/exp still hold at the clock's now; undefined
   * otherwise (a token never seen, forgotten, or no longer valid, which is then forgotten).
   */
  remembered(token: string): Principal | undefined {
    // A token whose bit is clear was never remembered since the bits were cleared; one remembered
    // before that is verified again (and so found again from its next request).
    if (!this.#recurring.mayRecur(token)) return undefined;
    const v = this.#verified.get(token);
    if (v === undefined) return undefined;
    const now = Math.floor(this.#clock.now() / 1000);
    if (now >= v.notBeforeS && now < v.expiresS) return v.principal;
    this.#verified.delete(token);
    return undefined;
  }

  /**
   * An HS256 token verified without waiting: remembered (above), or its HMAC and claims checked here
   * and now (hs256.ts, synchronous). Throws the refusal of a token that fails; undefined when the
   * token needs jose (another algorithm: a JWKS) or no JWT is accepted (verify says why).
   */
  verifyNow(token: string): Principal | undefined {
    return this.remembered(token) ?? this.verifyUnremembered(token);
  }

  /** verifyNow for a token the caller has just found not remembered. */
  verifyUnremembered(token: string): Principal | undefined {
    if (!this.#hs256 || this.#hs256.alg(token) !== 'HS256') return undefined;
    const payload = this.#hs256.verify(token, this.#clock.now());
    const principal = this.#principals.of(payload);
    if (!this.#recurring.seenBefore(token)) return principal;
    if (this.#verified.size >= VERIFIED_CACHE_SIZE) this.#verified.clear();
    this.#verified.set(token, { principal, notBeforeS: (payload.nbf ?? -Infinity) - CLOCK_TOLERANCE_S, expiresS: (payload.exp ?? Infinity) + CLOCK_TOLERANCE_S });
    return principal;
  }

}

function jwksOf(source: string): JWTVerifyGetKey {
  if (/^https?:\/\//i.test(source)) return createRemoteJWKSet(new URL(source), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  let set: JSONWebKeySet;
  try {
    set = JSON.parse(readFileSync(source, 'utf8')) as JSONWebKeySet;
  } catch (cause) {
    throw new NsError('NS_CONFIG_INVALID', `NIGHTSHIFT_JWKS=${source}: cannot read a JWKS from it (${(cause as Error).message}); give a JSON file {"keys":[…]} or an https:// URL`, { field: 'NIGHTSHIFT_JWKS', cause });
  }
  if (!Array.isArray(set?.keys)) throw new NsError('NS_CONFIG_INVALID', `NIGHTSHIFT_JWKS=${source}: not a JWKS (no "keys" list)`, { field: 'NIGHTSHIFT_JWKS' });
  return createLocalJWKSet(set);
}

/** jose's error → one stable code; its message is not passed on (it may quote claims). */
function joseRefusal(error: unknown): NsError {
  if (error instanceof errors.JWTExpired) return refuse('NS_AUTH_EXPIRED', 'the token has expired (exp); get a new one');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
      case 'iat':
        return refuse('NS_AUTH_NOT_YET_VALID', `the token is not valid yet (${error.claim} is in the future)`);
      case 'iss':
        return refuse('NS_AUTH_ISSUER', 'the token was not issued by the configured issuer (iss; NIGHTSHIFT_JWT_ISSUER)');
      case 'aud':
        return refuse('NS_AUTH_AUDIENCE', 'the token is not for the configured audience (aud; NIGHTSHIFT_JWT_AUDIENCE)');
      default:
        return refuse('NS_AUTH_CLAIMS', `the token's ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return refuse('NS_AUTH_ALGORITHM', 'the token is signed with an algorithm that is not accepted (HS256 with the shared secret, RS256 or ES256 with the JWKS)');
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return refuse('NS_AUTH_SIGNATURE', 'the token signature does not verify with the configured secret or keys');
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return refuse('NS_AUTH_SIGNATURE', 'the signing keys (NIGHTSHIFT_JWKS) could not be fetched; retry shortly');
  // Not a verdict on the token (a JWKS URL that does not answer, a bug): the error handler logs it.
  if (!(error instanceof errors.JOSEError)) throw error;
  return refuse('NS_AUTH_MALFORMED', 'the bearer token is not a well-formed JWT');
}

/**
 * Principals of verified tokens. A client's tokens name the same subject, role and tenant one after
 * another (only jti, iat and exp change), so the last principal made is given again when its claims
 * match: frozen, as every request then shares it.
 */
class Principals {
  #last: Principal | null = null;
  #lastTenant: unknown = undefined;

  of(payload: JWTPayload): Principal {
    const last = this.#last;
    const tenant = payload.tenant;
    if (last !== null && payload.sub === last.subject && payload.role === last.role && typeof tenant === 'string' && tenant === this.#lastTenant) return last;
    const made = Object.freeze(principalOf(payload));
    this.#last = made;
    this.#lastTenant = tenant;
    return made;
  }
}

/** The claims nightshift reads: sub, role, and tenant (one id or a list; a super admin needs none). */
function principalOf(payload: JWTPayload): Principal {
  const { sub } = payload;
  const role = payload.role;
  if (typeof sub !== 'string' || sub === '') throw refuse('NS_AUTH_CLAIMS', 'the token has no sub claim');
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw refuse('NS_AUTH_CLAIMS', `the token's role claim must be one of ${ROLES.join(', ')}`);
  if (role === 'super_admin') return { subject: sub, keyId: null, role, tenants: '*', via: 'jwt' };
  const claim = payload.tenant;
  const tenants = typeof claim === 'string' ? [claim] : Array.isArray(claim) && claim.every((t) => typeof t === 'string') ? (claim as string[]) : null;
  if (!tenants || tenants.length === 0 || tenants.some((t) => t === '' || t === '*')) throw refuse('NS_AUTH_CLAIMS', 'the token needs a tenant claim: a tenant id or a list of them');
  return { subject: sub, keyId: null, role: role as Role, tenants: Object.freeze(tenants.length === 1 ? tenants : [...new Set(tenants)]), via: 'jwt' };
}
