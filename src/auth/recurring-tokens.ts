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

  /** Whether a token with this one's signature bit was verified since the bits were last cleared; sets the bit. */
  seenBefore(token: string): boolean {
    const at = token.length - CHARS_READ;
    if (at < 0) return false;
    const word = token.charCodeAt(at) | (token.charCodeAt(at + 1) << 8) | (token.charCodeAt(at + 2) << 16) | (token.charCodeAt(at + 3) << 24);
    const bit = Math.imul(word, 0x9e3779b1) >>> 16;
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
