/**
 * The claims nightshift reads from a verified JWT payload (sub, role, tenant, exp, nbf, iat, iss,
 * aud), read straight from the payload's decoded bytes. Under the auth benchmark's load, the UTF-8
 * string and JSON.parse of a ~100-byte payload cost ~6–7 µs a request inside the server (1.1 µs in a
 * tight loop: between two requests the caches hold other things), more than the HMAC; this reads the
 * bytes once, builds only the strings it returns (~4 µs there).
 *
 * It validates the whole payload as JSON (RFC 8259: every value, nested ones included, whitespace,
 * escapes, number syntax) and answers only for the common case: an ASCII object whose claims above
 * are strings without escapes, numbers, or lists of such strings. For anything else (a non-ASCII
 * byte, an escape in a claim or key, another type for a claim, deep nesting) it answers null and the
 * caller parses with JSON.parse, so what is accepted and what each claim holds is always what
 * JSON.parse gives (test/unit/jwt-claims.test.ts compares the two on random payloads). Duplicate keys:
 * the last wins, as with JSON.parse.
 */
import type { JWTPayload } from 'jose';

export type JwtClaims = Pick<JWTPayload, 'sub' | 'exp' | 'nbf' | 'iat' | 'iss' | 'aud'> & { role?: unknown; tenant?: unknown };

/** Nesting deeper than this (in claims nobody reads) goes to JSON.parse. */
const MAX_DEPTH = 16;

const enum Claim {
  None,
  Sub,
  Role,
  Tenant,
  Exp,
  Nbf,
  Iat,
  Iss,
  Aud,
}

/** Thrown inside the reader: the payload is not the common case (or not JSON); the caller parses it. */
const NOT_HANDLED = Symbol('not handled');

/** One reading: the bytes, the position, and the claims found so far. */
class Reader {
  i = 0;
  readonly claims: JwtClaims = { sub: undefined, role: undefined, tenant: undefined, exp: undefined, nbf: undefined, iat: undefined, iss: undefined, aud: undefined };

  constructor(
    readonly b: Buffer,
    readonly n: number,
  ) {}

  /** The byte at k, or -1 past the payload (the buffer holds older bytes beyond n). */
  at(k: number): number {
    return k < this.n ? this.b[k]! : -1;
  }

  ws(): void {
    const { b, n } = this;
    let i = this.i;
    while (i < n) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.i = i;
  }

  /** The string at i (its opening quote); its text when `keep`, with escapes → NOT_HANDLED. */
  string(keep: boolean): string {
    const { b, n } = this;
    let i = this.i + 1;
    const start = i;
    let escaped = false;
    for (;;) {
      if (i >= n) throw NOT_HANDLED;
      const c = b[i]!;
      if (c === 0x22) break;
      if (c < 0x20 || c >= 0x80) throw NOT_HANDLED;
      if (c === 0x5c) {
        escaped = true;
        const e = this.at(i + 1);
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) if (!isHex(this.at(i + k))) throw NOT_HANDLED;
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
        else throw NOT_HANDLED;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    if (!keep) return '';
    if (escaped) throw NOT_HANDLED;
    return b.toString('latin1', start, i);
  }

  /** The number at i, as JSON.parse reads it. */
  number(): number {
    const start = this.i;
    let i = start;
    if (this.at(i) === 0x2d) i++;
    if (this.at(i) === 0x30) i++;
    else if (isDigit19(this.at(i))) while (isDigit(this.at(i))) i++;
    else throw NOT_HANDLED;
    let integer = true;
    if (this.at(i) === 0x2e) {
      integer = false;
      i++;
      if (!isDigit(this.at(i))) throw NOT_HANDLED;
      while (isDigit(this.at(i))) i++;
    }
    const e = this.at(i);
    if (e === 0x65 || e === 0x45) {
      integer = false;
      i++;
      const sign = this.at(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!isDigit(this.at(i))) throw NOT_HANDLED;
      while (isDigit(this.at(i))) i++;
    }
    this.i = i;
    const b = this.b;
    const negative = b[start] === 0x2d;
    // Up to 15 digits (a date in seconds has 10) an integer is exact as it is summed here.
    if (integer && i - start <= 15) {
      let v = 0;
      for (let k = negative ? start + 1 : start; k < i; k++) v = v * 10 + (b[k]! - 0x30);
      return negative ? -v : v;
    }
    return Number(b.toString('latin1', start, i));
  }

  literal(word: readonly number[]): void {
    for (let k = 0; k < word.length; k++) if (this.at(this.i + k) !== word[k]) throw NOT_HANDLED;
    this.i += word.length;
  }

  /** Any JSON value at i, skipped (checked, not kept). */
  skip(depth: number): void {
    this.ws();
    const c = this.at(this.i);
    if (c === 0x22) this.string(false);
    else if (c === 0x7b) this.object(depth + 1);
    else if (c === 0x5b) this.array(depth + 1, false);
    else if (c === 0x74) this.literal(TRUE);
    else if (c === 0x66) this.literal(FALSE);
    else if (c === 0x6e) this.literal(NULL);
    else this.number();
  }

  /** An array at i; its strings when `keep` (any other element → NOT_HANDLED). */
  array(depth: number, keep: boolean): string[] | null {
    if (depth > MAX_DEPTH) throw NOT_HANDLED;
    this.i++;
    const out: string[] | null = keep ? [] : null;
    this.ws();
    if (this.at(this.i) === 0x5d) {
      this.i++;
      return out;
    }
    for (;;) {
      if (out) {
        this.ws();
        if (this.at(this.i) !== 0x22) throw NOT_HANDLED;
        out.push(this.string(true));
      } else this.skip(depth);
      this.ws();
      const c = this.at(this.i++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) throw NOT_HANDLED;
    }
  }

  /** An object at i; at depth 1 (the payload) the claims are kept. */
  object(depth: number): void {
    if (depth > MAX_DEPTH) throw NOT_HANDLED;
    this.i++;
    this.ws();
    if (this.at(this.i) === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.at(this.i) !== 0x22) throw NOT_HANDLED;
      const keyStart = this.i + 1;
      this.string(false);
      // A key with an escape may spell a claim ("s\u0075b"): JSON.parse's to read.
      if (depth === 1 && hasBackslash(this.b, keyStart, this.i - 1)) throw NOT_HANDLED;
      const claim = depth === 1 ? claimOf(this.b, keyStart, this.i - 1) : Claim.None;
      this.ws();
      if (this.at(this.i++) !== 0x3a) throw NOT_HANDLED;
      if (claim === Claim.None) this.skip(depth);
      else this.claim(claim, depth);
      this.ws();
      const c = this.at(this.i++);
      if (c === 0x7d) return;
      if (c !== 0x2c) throw NOT_HANDLED;
    }
  }

  claim(claim: Claim, depth: number): void {
    this.ws();
    const c = this.at(this.i);
    const claims = this.claims;
    if (claim === Claim.Exp || claim === Claim.Nbf || claim === Claim.Iat) {
      // Another type is the claim checks' to refuse, with the value JSON.parse gives: left to it.
      if (c !== 0x2d && !isDigit(c)) throw NOT_HANDLED;
      const v = this.number();
      if (claim === Claim.Exp) claims.exp = v;
      else if (claim === Claim.Nbf) claims.nbf = v;
      else claims.iat = v;
      return;
    }
    if (c === 0x22) {
      const v = this.string(true);
      if (claim === Claim.Sub) claims.sub = v;
      else if (claim === Claim.Role) claims.role = v;
      else if (claim === Claim.Tenant) claims.tenant = v;
      else if (claim === Claim.Iss) claims.iss = v;
      else claims.aud = v;
      return;
    }
    if (c === 0x5b && (claim === Claim.Tenant || claim === Claim.Aud)) {
      const list = this.array(depth + 1, true)!;
      if (claim === Claim.Tenant) claims.tenant = list;
      else claims.aud = list;
      return;
    }
    throw NOT_HANDLED;
  }
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isDigit19 = (c: number) => c >= 0x31 && c <= 0x39;
const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

function hasBackslash(b: Buffer, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k] === 0x5c) return true;
  return false;
}

/** Which claim a key b[start, end) names (its bytes compared in place: no string made). */
function claimOf(b: Buffer, start: number, end: number): Claim {
  const len = end - start;
  const c0 = b[start];
  if (len === 3) {
    const c1 = b[start + 1], c2 = b[start + 2];
    if (c0 === 0x73 && c1 === 0x75 && c2 === 0x62) return Claim.Sub;
    if (c0 === 0x65 && c1 === 0x78 && c2 === 0x70) return Claim.Exp;
    if (c0 === 0x6e && c1 === 0x62 && c2 === 0x66) return Claim.Nbf;
    if (c0 === 0x69 && c1 === 0x61 && c2 === 0x74) return Claim.Iat;
    if (c0 === 0x69 && c1 === 0x73 && c2 === 0x73) return Claim.Iss;
    if (c0 === 0x61 && c1 === 0x75 && c2 === 0x64) return Claim.Aud;
    return Claim.None;
  }
  if (len === 4 && c0 === 0x72 && b[start + 1] === 0x6f && b[start + 2] === 0x6c && b[start + 3] === 0x65) return Claim.Role;
  if (len === 6 && c0 === 0x74 && b[start + 1] === 0x65 && b[start + 2] === 0x6e && b[start + 3] === 0x61 && b[start + 4] === 0x6e && b[start + 5] === 0x74) return Claim.Tenant;
  return Claim.None;
}

/**
 * The claims of the JSON payload in b[0, n), or null when this reader does not answer for it (the
 * caller then uses JSON.parse, which also says whether it is JSON at all). A payload that is JSON but
 * not an object is null too.
 */
export function readClaims(b: Buffer, n: number): JwtClaims | null {
  const r = new Reader(b, n);
  try {
    r.ws();
    if (r.at(r.i) !== 0x7b) return null;
    r.object(1);
    r.ws();
    return r.i === n ? r.claims : null;
  } catch (error) {
    if (error === NOT_HANDLED) return null;
    throw error;
  }
}
