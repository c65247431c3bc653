/**
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) of ASCII text under one fixed key, in JavaScript, for the HS256
 * tokens verified on every request (hs256.ts). node:crypto's createHmac cost ~5–8 µs a 150-character
 * token on this (busy, 2-core) machine, most of it per call rather than per byte (a native object, a
 * key copy, an OpenSSL context); here the key's inner and outer blocks are hashed once, at construction,
 * and a token costs only its own blocks (four for a typical JWT, ~0.3 µs each: ~1.5–2 µs) with no
 * allocation. test/unit/hmac-sha256.test.ts checks it against
 * node:crypto on every length across the block boundaries and on long, short and non-ASCII keys.
 *
 * The arithmetic has no branch or index that depends on the text or the key, so its timing says nothing
 * about either.
 */
import { createHash } from 'node:crypto';

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK_BYTES = 64;

/** The message schedule, shared: the hashing is synchronous, so no two calls interleave. */
const W = new Int32Array(64);

/** One SHA-256 compression of the block in W[0..15] into the state H. */
function compress(H: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H[0]!, b = H[1]!, c = H[2]!, d = H[3]!, e = H[4]!, f = H[5]!, g = H[6]!, h = H[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0]! + a) | 0;
  H[1] = (H[1]! + b) | 0;
  H[2] = (H[2]! + c) | 0;
  H[3] = (H[3]! + d) | 0;
  H[4] = (H[4]! + e) | 0;
  H[5] = (H[5]! + f) | 0;
  H[6] = (H[6]! + g) | 0;
  H[7] = (H[7]! + h) | 0;
}

/** The state after one block: the key XOR pad (RFC 2104's K ⊕ ipad or K ⊕ opad). */
function padState(key: Uint8Array, pad: number): Int32Array {
  for (let i = 0; i < 16; i++) {
    W[i] = ((key[4 * i]! ^ pad) << 24) | ((key[4 * i + 1]! ^ pad) << 16) | ((key[4 * i + 2]! ^ pad) << 8) | (key[4 * i + 3]! ^ pad);
  }
  const H = new Int32Array(IV);
  compress(H);
  return H;
}

export class HmacSha256 {
  readonly #inner: Int32Array;
  readonly #outer: Int32Array;
  readonly #state = new Int32Array(8);
  readonly #mac = new Int32Array(8);

  constructor(key: Uint8Array) {
    // RFC 2104: a key longer than a block is hashed first; a shorter one is padded with zeros.
    const block = new Uint8Array(BLOCK_BYTES);
    block.set(key.length > BLOCK_BYTES ? createHash('sha256').update(key).digest() : key);
    this.#inner = padState(block, 0x36);
    this.#outer = padState(block, 0x5c);
  }

  /**
   * The MAC of text[0, end) as eight big-endian words, or null when that text is not all ASCII (the
   * caller's bytes would then not be its UTF-16 code units). The array is this object's own and is
   * overwritten by the next call: read it before calling again.
   */
  macOfAscii(text: string, end: number): Int32Array | null {
    const S = this.#state;
    S.set(this.#inner);
    let high = 0;
    let i = 0;
    for (; i + BLOCK_BYTES <= end; i += BLOCK_BYTES) {
      for (let j = 0; j < 16; j++) {
        const p = i + 4 * j;
        const c0 = text.charCodeAt(p), c1 = text.charCodeAt(p + 1), c2 = text.charCodeAt(p + 2), c3 = text.charCodeAt(p + 3);
        high |= c0 | c1 | c2 | c3;
        W[j] = (c0 << 24) | (c1 << 16) | (c2 << 8) | c3;
      }
      compress(S);
    }
    // The last bytes, 0x80, zeros, and the length in bits of everything hashed (the key block too).
    const rest = end - i;
    W.fill(0, 0, 16);
    for (let j = 0; j < rest; j++) {
      const c = text.charCodeAt(i + j);
      high |= c;
      W[j >> 2]! |= c << (24 - 8 * (j & 3));
    }
    W[rest >> 2]! |= 0x80 << (24 - 8 * (rest & 3));
    if (rest >= 56) {
      compress(S);
      W.fill(0, 0, 16);
    }
    const bytes = BLOCK_BYTES + end;
    W[14] = Math.floor(bytes / 0x20000000);
    W[15] = (bytes * 8) | 0;
    compress(S);
    if (high > 0x7f) return null;
    // The outer hash: the key's outer block (precomputed), then the inner digest, in one block.
    const M = this.#mac;
    M.set(this.#outer);
    W.set(S, 0);
    W[8] = 0x80000000;
    W.fill(0, 9, 15);
    W[15] = (BLOCK_BYTES + 32) * 8;
    compress(M);
    return M;
  }
}
