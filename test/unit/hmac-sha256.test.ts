/**
 * The JavaScript HMAC-SHA256 (src/auth/hmac-sha256.ts) against node:crypto: every text length across
 * the block and padding boundaries, keys shorter than, as long as and longer than a block (hashed
 * first), non-ASCII key bytes, and random texts and keys; non-ASCII text is refused, not miscomputed.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { HmacSha256 } from '../../src/auth/hmac-sha256.ts';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';

function wordsToBuffer(words: Int32Array): Buffer {
  const b = Buffer.alloc(32);
  for (let i = 0; i < 8; i++) b.writeInt32BE(words[i]!, 4 * i);
  return b;
}

function assertSame(key: Buffer, text: string, end = text.length): void {
  const mac = new HmacSha256(key).macOfAscii(text, end);
  assert.ok(mac, `ASCII text of ${end} characters`);
  assert.equal(wordsToBuffer(mac).toString('hex'), createHmac('sha256', key).update(text.slice(0, end)).digest('hex'), `key ${key.length} bytes, text ${end} characters`);
}

test('every length from 0 to 300 characters, with keys of 1, 32, 63, 64, 65 and 200 bytes', () => {
  const text = Array.from({ length: 300 }, (_, i) => BASE64URL[(i * 7) % BASE64URL.length]).join('');
  for (const keyBytes of [1, 32, 63, 64, 65, 200]) {
    const key = Buffer.from(Array.from({ length: keyBytes }, (_, i) => (i * 37 + 200) & 0xff));
    for (let end = 0; end <= text.length; end++) assertSame(key, text, end);
  }
});

test('a prefix of the text is hashed up to end only', () => {
  const key = randomBytes(32);
  assertSame(key, 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ.signature-here', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ'.length);
});

test('random keys and ASCII texts agree with node:crypto', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 150 }), fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 400 }), (key, text) => {
      assertSame(Buffer.from(key), text);
    }),
    { numRuns: 500 },
  );
});

test('one object gives the right MAC call after call (its state is reset each time)', () => {
  const key = randomBytes(48);
  const hmac = new HmacSha256(key);
  for (const text of ['a'.repeat(100), 'b', 'c'.repeat(64), '', 'd'.repeat(56)]) {
    assert.equal(wordsToBuffer(hmac.macOfAscii(text, text.length)!).toString('hex'), createHmac('sha256', key).update(text).digest('hex'));
  }
});

test('a text with a character outside ASCII gets no MAC (its UTF-8 bytes would differ)', () => {
  const hmac = new HmacSha256(randomBytes(32));
  for (const text of ['é', `${'a'.repeat(70)}\u0080`, `ab\u20accd`, `${'x'.repeat(63)}\ud83d\ude00`]) assert.equal(hmac.macOfAscii(text, text.length), null, JSON.stringify(text));
});
