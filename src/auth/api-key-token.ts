/**
 * The text of an API key: `nsk_<key id>.<secret>`. The id finds the row; the secret, 32 random bytes
 * (256 bits), is stored only as its sha256: a key that high in entropy needs no slow hash, and the
 * lookup stays one indexed read per request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'nsk_';
const KEY_TEXT = /^nsk_(key_[a-z0-9]{21})\.([A-Za-z0-9_-]{43})$/;

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function keyText(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id}.${secret}`;
}

/** The id and secret of a well-formed key text; null otherwise. */
export function parseKeyText(text: string): { id: string; secret: string } | null {
  const m = KEY_TEXT.exec(text);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedSha256: string): boolean {
  const given = createHash('sha256').update(secret).digest();
  const stored = Buffer.from(storedSha256, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
