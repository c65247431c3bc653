/**
 * Authentication for tests: an app with authentication on (HS256 secret, API keys), and the
 * credentials of every kind the matrix calls with, valid and not.
 */
import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, UnsecuredJWT, exportJWK, type JWK } from 'jose';
import { AUTH_DEFAULTS } from '../../src/config/auth-env.ts';
import type { AuthSettings } from '../../src/config/types.ts';
import { openTestApi, type TestApi } from './api.ts';

export const SECRET = 'test-secret-of-at-least-thirty-two-bytes!!';
export const OTHER_SECRET = 'another-secret-of-at-least-thirty-two-bytes';

export function authSettings(o: Partial<AuthSettings> = {}): AuthSettings {
  return { ...AUTH_DEFAULTS, mode: 'on', jwtSecret: SECRET, rateLimits: { windowMs: 60_000, train: 1_000_000, ingest: 1_000_000, predict: 1_000_000 }, ...o };
}

export async function openAuthApi(o: Partial<AuthSettings> = {}): Promise<TestApi> {
  return openTestApi({ auth: authSettings(o) });
}

export interface Claims {
  sub?: string;
  role?: string;
  tenant?: string | string[];
  iss?: string;
  aud?: string;
}

/** An HS256 JWT issued at `nowMs` (the test clock), valid for an hour unless told otherwise. */
export async function hsToken(nowMs: number, claims: Claims, o: { secret?: string; expSeconds?: number; nbfSeconds?: number } = {}): Promise<string> {
  const now = Math.floor(nowMs / 1000);
  const jwt = new SignJWT({ role: claims.role, tenant: claims.tenant })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expSeconds ?? 3600));
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  if (claims.iss) jwt.setIssuer(claims.iss);
  if (claims.aud) jwt.setAudience(claims.aud);
  if (o.nbfSeconds !== undefined) jwt.setNotBefore(now + o.nbfSeconds);
  return jwt.sign(Buffer.from(o.secret ?? SECRET));
}

/** alg: none: no signature at all. */
export function unsignedToken(nowMs: number, claims: Claims): string {
  const now = Math.floor(nowMs / 1000);
  return new UnsecuredJWT({ role: claims.role, tenant: claims.tenant }).setSubject(claims.sub ?? 'x').setIssuedAt(now).setExpirationTime(now + 3600).encode();
}

/** A key pair, its public JWKS, and a signer. */
export async function asymmetric(alg: 'RS256' | 'ES256', kid: string) {
  const { publicKey, privateKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  const sign = (nowMs: number, claims: Claims) => {
    const now = Math.floor(nowMs / 1000);
    return new SignJWT({ role: claims.role, tenant: claims.tenant })
      .setProtectedHeader({ alg, kid })
      .setSubject(claims.sub ?? 'svc')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(privateKey);
  };
  return { jwks: { keys: [jwk] }, sign };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

