/**
 * The authentication and rate-limit settings, from env only: secrets belong in the environment (or
 * a secret manager that fills it), not in a config file that gets committed.
 */
import { NsError } from '../errors.ts';
import type { Env } from './env.ts';
import type { AuthSettings } from './types.ts';
import { invalidValue, toDurationMs, toEnum, toInteger, type At } from './values.ts';

export const AUTH_ENV = {
  mode: 'NIGHTSHIFT_AUTH',
  jwtSecret: 'NIGHTSHIFT_JWT_SECRET',
  jwks: 'NIGHTSHIFT_JWKS',
  issuer: 'NIGHTSHIFT_JWT_ISSUER',
  audience: 'NIGHTSHIFT_JWT_AUDIENCE',
  rateWindow: 'NIGHTSHIFT_RATE_WINDOW',
  rateTrain: 'NIGHTSHIFT_RATE_TRAIN',
  rateIngest: 'NIGHTSHIFT_RATE_INGEST',
  ratePredict: 'NIGHTSHIFT_RATE_PREDICT',
} as const;

export const AUTH_DEFAULTS: AuthSettings = {
  mode: 'on',
  jwtSecret: null,
  jwks: null,
  issuer: null,
  audience: null,
  // Per tenant per minute. Training triggers are rare and costly; predict is the hot path.
  rateLimits: { windowMs: 60_000, train: 30, ingest: 600, predict: 6_000 },
};

/** HS256 needs a key at least as long as its hash (RFC 7518 §3.2). */
const MIN_SECRET_BYTES = 32;

export function readAuthEnv(env: Env): AuthSettings {
  const get = (name: string): [string, At] | null => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? null : [raw, { file: null, path: name }];
  };
  const auth = { ...AUTH_DEFAULTS, rateLimits: { ...AUTH_DEFAULTS.rateLimits } };
  let v: [string, At] | null;
  if ((v = get(AUTH_ENV.mode))) auth.mode = toEnum(v[0].toLowerCase(), v[1], ['on', 'off'] as const, 'on');
  if ((v = get(AUTH_ENV.jwtSecret))) {
    // Never echoed: a message with the value would put the secret in logs.
    if (Buffer.byteLength(v[0]) < MIN_SECRET_BYTES) {
      throw new NsError('NS_CONFIG_INVALID', `${AUTH_ENV.jwtSecret}: must be at least ${MIN_SECRET_BYTES} bytes (HS256); generate one with \`openssl rand -base64 48\``, { field: AUTH_ENV.jwtSecret });
    }
    auth.jwtSecret = v[0];
  }
  if ((v = get(AUTH_ENV.jwks))) {
    if (/^[a-z]+:\/\//i.test(v[0]) && !/^https?:\/\//i.test(v[0])) throw invalidValue(v[1], v[0], 'must be a file path or an http(s):// URL of a JWKS', 'https://idp.example.com/.well-known/jwks.json');
    auth.jwks = v[0];
  }
  if ((v = get(AUTH_ENV.issuer))) auth.issuer = v[0];
  if ((v = get(AUTH_ENV.audience))) auth.audience = v[0];
  if ((v = get(AUTH_ENV.rateWindow))) auth.rateLimits.windowMs = toDurationMs(v[0], v[1], { example: '1m' });
  if ((v = get(AUTH_ENV.rateTrain))) auth.rateLimits.train = toInteger(v[0], v[1], { min: 1, max: 1_000_000_000 }, '30');
  if ((v = get(AUTH_ENV.rateIngest))) auth.rateLimits.ingest = toInteger(v[0], v[1], { min: 1, max: 1_000_000_000 }, '600');
  if ((v = get(AUTH_ENV.ratePredict))) auth.rateLimits.predict = toInteger(v[0], v[1], { min: 1, max: 1_000_000_000 }, '6000');
  return auth;
}

/** Loopback hosts: where `NIGHTSHIFT_AUTH=off` may listen. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** With authentication off, only this machine may call: any other address refuses to start. */
export function checkAuthBinding(auth: AuthSettings, host: string): void {
  if (auth.mode === 'off' && !isLoopback(host)) {
    throw new NsError(
      'NS_CONFIG_INVALID',
      `NIGHTSHIFT_AUTH=off: refusing to listen on ${host} without authentication; listen on 127.0.0.1 (NIGHTSHIFT_HOST), or turn authentication on (unset NIGHTSHIFT_AUTH) and use API keys (\`nightshift keys create\`) or JWTs (NIGHTSHIFT_JWT_SECRET or NIGHTSHIFT_JWKS)`,
      { field: AUTH_ENV.mode },
    );
  }
}
