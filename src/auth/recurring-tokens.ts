/**
 * Which verified tokens come back. A client holding a token sends it with every request, and the
 * verifier remembers it (jwt.ts) so it is checked once; but a token sent once (a short-lived token per
 * call, many clients) would fill that memory with entries never read again, each kept alive long
 * enough to be copied by the garbage collector. So a token is remembered on its second verification:
 * the first only sets a bit for it here.
 *
 * The bit's index comes from the token's signature, an HMAC: as good as random for every token that
 * verified, and nobody without the secret can choose it. Another token sharing the bit is remembered
 * a verification early, which costs only the memory. The bits are cleared once a sixteenth of them
 * were set, so that stays rare.
 */
const BITS = 1 << 16;
const MARKS_PER_ROUND = BITS / 16;
/** Base64url characters of the signature read: 24 bits. */
const CHARS_READ = 4;

export class RecurringTokens {
  readonly #bits = new Uint8Array(BITS / 8);
  #marks = 0;

  /**
   * Whether this token's bit is set: false for every token verified once or never since the bits were
   * cleared, so the memory of remembered tokens need not be searched for it (no hashing of the token).
   */
  mayRecur(token: string): boolean {
    const bit = bitOf(token);
    return bit >= 0 && (this.#bits[bit >>> 3]! & (1 << (bit & 7))) !== 0;
  }

  /** Whether a token with this one's signature bit was verified since the bits were last cleared; sets the bit. */
  seenBefore(token: string): boolean {
    const bit = bitOf(token);
    if (bit < 0) return false;
    const mask = 1 << (bit & 7);
    const byte = bit >>> 3;
    if ((this.#bits[byte]! & mask) !== 0) return true;
    if (++this.#marks > MARKS_PER_ROUND) {
      this.#bits.fill(0);
      this.#marks = 1;
    }
    this.#bits[byte]! |= mask;
    return false;
  }
}

/** The bit of a token: from the last characters of its signature; -1 for a text too short to have one. */
function bitOf(token: string): number {
  const at = token.length - CHARS_READ;
  if (at < 0) return -1;
  const word = token.charCodeAt(at) | (token.charCodeAt(at + 1) << 8) | (token.charCodeAt(at + 2) << 16) | (token.charCodeAt(at + 3) << 24);
  return Math.imul(word, 0x9e3779b1) >>> 16;
}
