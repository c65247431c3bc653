/**
 * HS256 tokens verified here and now, without jose: the HMAC (hmac-sha256.ts, no allocation), a
 * constant-time comparison with the signature as base64url decodes it, then the claims jose would
 * check, in its order (signature first) and with the same refusals (docs/errors.md). jose's WebCrypto
 * path costs ~40 µs a token, node:crypto's createHmac ~5–8, this ~3 (bench/auth/verify-probe.ts); the
 * issue bounds what authentication may take from predict (bench/auth.ts), and every request may carry
 * a token not seen before. The other
 * algorithms (a JWKS) go through jose (jwt.ts).
 *
 * A token this accepts has authenticator.ts's JWT_SHAPE (three parts, each of base64url characters, the
 * first not empty): the header part is checked once per distinct header, the payload's characters as
 * it is decoded, the signature's as it is compared. So the caller tests the shape only on a refusal.
 */
import type { AuthSettings } from '../config/types.ts';
import { HmacSha256 } from './hmac-sha256.ts';
import { readClaims, type JwtClaims } from './jwt-claims.ts';
import { refuse } from './refusal.ts';

/** Clock skew allowed between the issuer and this server, on exp and nbf. */
export const CLOCK_TOLERANCE_S = 5;
/** Distinct header parts remembered with their alg: a client's tokens all share one header. */
const HEADERS_KEPT = 64;
/** Payload parts up to this many characters are decoded into one reused buffer; longer ones into their own. */
const SCRATCH_CHARS = 4096;
/** A SHA-256 MAC: 32 bytes, 43 base64url characters without padding. */
const SIGNATURE_CHARS = 43;
const MAC_BYTES = 32;

/** base64url character → its 6 bits; INVALID for any other character. */
const INVALID = 0x100;
const SIXTETS = (() => {
  const t = new Int16Array(128).fill(INVALID);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  return t;
})();

const BASE64URL = /^[A-Za-z0-9_-]*$/;

const malformed = () => refuse('NS_AUTH_MALFORMED', 'the bearer token is not a well-formed JWT');

export class Hs256Verifier {
  readonly #hmac: HmacSha256;
  readonly #issuer: string | null;
  readonly #audience: string | null;
  readonly #algs = new Map<string, string | null>();
  #lastHeader = '';
  #lastAlg: string | null = null;
  readonly #scratch = Buffer.allocUnsafe((SCRATCH_CHARS * 3) / 4);

  constructor(secret: Uint8Array, auth: Pick<AuthSettings, 'issuer' | 'audience'>) {
    this.#hmac = new HmacSha256(secret);
    this.#issuer = auth.issuer;
    this.#audience = auth.audience;
  }

  /** The header's alg, or null when the header does not decode or is one jose would refuse (crit, b64). */
  alg(token: string): string | null {
    // The last header seen (with its dot) is compared in place: no substring, no hashing.
    if (this.#lastHeader !== '' && token.startsWith(this.#lastHeader)) return this.#lastAlg;
    const dot = token.indexOf('.');
    const part = token.slice(0, dot);
    let alg = this.#algs.get(part);
    if (alg === undefined) {
      alg = headerAlg(part);
      if (this.#algs.size >= HEADERS_KEPT) this.#algs.clear();
      this.#algs.set(part, alg);
    }
    if (dot > 0) {
      this.#lastHeader = token.slice(0, dot + 1);
      this.#lastAlg = alg;
    }
    return alg;
  }

  /** The payload of a token whose signature and claims hold at nowMs; throws the refusal otherwise. */
  verify(token: string, nowMs: number): JwtClaims {
    const dot1 = token.indexOf('.');
    const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot2 < 0 || token.indexOf('.', dot2 + 1) >= 0) throw malformed();
    const mac = this.#hmac.macOfAscii(token, dot2);
    if (mac === null || !signatureMatches(mac, token, dot2 + 1)) throw refuse('NS_AUTH_SIGNATURE', 'the token signature does not verify with the configured secret or keys');
    const chars = dot2 - dot1 - 1;
    // A payload of up to SCRATCH_CHARS characters (every real one) is decoded into the reused buffer.
    const bytes = chars <= SCRATCH_CHARS ? this.#scratch : Buffer.allocUnsafe(Math.ceil((chars * 3) / 4));
    const n = decodeBase64url(token, dot1 + 1, dot2, bytes);
    if (n < 0) throw malformed();
    const claims = readClaims(bytes, n) ?? parsed(bytes, n);
    return this.#checkClaims(claims, Math.floor(nowMs / 1000));
  }

  #checkClaims(p: JwtClaims, now: number): JwtClaims {
    const exp = numericClaim(p, 'exp');
    const nbf = numericClaim(p, 'nbf');
    numericClaim(p, 'iat');
    if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_S) throw refuse('NS_AUTH_NOT_YET_VALID', 'the token is not valid yet (nbf is in the future)');
    if (exp !== undefined && exp <= now - CLOCK_TOLERANCE_S) throw refuse('NS_AUTH_EXPIRED', 'the token has expired (exp); get a new one');
    if (this.#issuer && p.iss !== this.#issuer) throw refuse('NS_AUTH_ISSUER', 'the token was not issued by the configured issuer (iss; NIGHTSHIFT_JWT_ISSUER)');
    const audience = this.#audience;
    if (audience) {
      const aud = p.aud;
      if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw refuse('NS_AUTH_AUDIENCE', 'the token is not for the configured audience (aud; NIGHTSHIFT_JWT_AUDIENCE)');
    }
    return p;
  }
}

function numericClaim(p: JwtClaims, claim: 'exp' | 'nbf' | 'iat'): number | undefined {
  const v = p[claim];
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw refuse('NS_AUTH_CLAIMS', `the token's ${claim} claim is invalid`);
  return v;
}

/**
 * The bytes that token[start, end) encodes in base64url, written to out, as Buffer.from(…,
 * 'base64url') decodes them (a last lone character's bits ignored): their count, or -1 when a
 * character is not base64url (Buffer would skip it). In JavaScript rather than Buffer#write: the
 * native call cost more than the ~130 characters of a payload.
 */
function decodeBase64url(token: string, start: number, end: number, out: Buffer): number {
  let n = 0;
  let acc = 0;
  let bits = 0;
  let bad = 0;
  for (let i = start; i < end; i++) {
    const c = token.charCodeAt(i);
    const v = c < 128 ? SIXTETS[c]! : INVALID;
    bad |= v;
    acc = ((acc << 6) | (v & 63)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >>> bits) & 0xff;
    }
  }
  return (bad & INVALID) !== 0 ? -1 : n;
}

/**
 * The payload as JSON.parse reads it, for what readClaims leaves (non-ASCII text, escapes, claims of
 * other types); malformed when it is not a JSON object. UTF-8 as Buffer decodes it (U+FFFD for a
 * byte sequence that is not UTF-8), as jose did.
 */
function parsed(bytes: Buffer, n: number): JwtClaims {
  let payload: unknown;
  try {
    payload = JSON.parse(bytes.toString('utf8', 0, n));
  } catch {
    throw malformed();
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw malformed();
  return payload as JwtClaims;
}

function headerAlg(part: string): string | null {
  // Not a JWT header part (empty, or not base64url): no alg, so the token is never verified here.
  if (part === '' || !BASE64URL.test(part)) return null;
  try {
    const header = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return header && typeof header === 'object' && typeof (header as { alg?: unknown }).alg === 'string' && !('crit' in header) && !('b64' in header) ? (header as { alg: string }).alg : null;
  } catch {
    return null;
  }
}

/**
 * Whether token[start..] is the base64url text of the MAC, decoded as Buffer.from(…, 'base64url')
 * would (the last character's two spare bits ignored). Every byte is compared, whatever differs
 * first: the time taken says nothing about how much of a forged signature was right.
 */
function signatureMatches(mac: Int32Array, token: string, start: number): boolean {
  if (token.length - start !== SIGNATURE_CHARS) return false;
  let diff = 0;
  let acc = 0;
  let bits = 0;
  let byte = 0;
  for (let i = start; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const v = c < 128 ? SIXTETS[c]! : INVALID;
    diff |= v & INVALID;
    acc = ((acc << 6) | (v & 63)) & 0x3fff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      diff |= ((acc >>> bits) & 0xff) ^ ((mac[byte >> 2]! >>> (24 - 8 * (byte & 3))) & 0xff);
      byte++;
    }
  }
  return byte === MAC_BYTES && diff === 0;
}
