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
import { NsError, type ErrorCode } from '../errors.ts';
import { ROLES, type Principal, type Role } from './principal.ts';

const ASYMMETRIC = ['RS256', 'ES256'] as const;

export class JwtVerifier {
  readonly #secret: KeyObject | null;
  readonly #jwks: JWTVerifyGetKey | null;
  readonly #algorithms: string[];
  readonly #auth: AuthSettings;
  readonly #clock: Clock;

  constructor(auth: AuthSettings, clock: Clock) {
    this.#auth = auth;
    this.#clock = clock;
    this.#secret = auth.jwtSecret ? createSecretKey(Buffer.from(auth.jwtSecret)) : null;
    this.#jwks = auth.jwks ? jwksOf(auth.jwks) : null;
    this.#algorithms = [...(this.#secret ? ['HS256'] : []), ...(this.#jwks ? ASYMMETRIC : [])];
  }

  get configured(): boolean {
    return this.#algorithms.length > 0;
  }

  async verify(token: string): Promise<Principal> {
    if (!this.configured) throw refuse('NS_AUTH_ALGORITHM', 'bearer JWTs are not accepted here: no NIGHTSHIFT_JWT_SECRET or NIGHTSHIFT_JWKS is configured; use an API key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header, input) => (header.alg === 'HS256' ? this.#secret! : this.#jwks!(header, input)), {
        algorithms: this.#algorithms,
        ...(this.#auth.issuer ? { issuer: this.#auth.issuer } : {}),
        ...(this.#auth.audience ? { audience: this.#auth.audience } : {}),
        currentDate: new Date(this.#clock.now()),
        clockTolerance: 5,
      }));
    } catch (error) {
      throw joseRefusal(error);
    }
    return principalOf(payload);
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

const refuse = (code: ErrorCode, message: string) => new NsError(code, message, { field: 'authorization' });

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
  return { subject: sub, keyId: null, role: role as Role, tenants: Object.freeze([...new Set(tenants)]), via: 'jwt' };
}
