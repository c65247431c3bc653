/**
 * The synchronous HS256 verifier (src/auth/hs256.ts) against jose's jwtVerify, the reference it
 * replaces on the request path: the same tokens accepted, and each refusal with its stable code —
 * a signature changed at any character, cut short or lengthened, a wrong key, a changed payload or
 * header, expiry and not-before at the tolerance's edges, issuer and audience.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { jwtVerify, SignJWT } from 'jose';
import { Hs256Verifier } from '../../src/auth/hs256.ts';
import { NsError } from '../../src/errors.ts';
import { OTHER_SECRET, SECRET } from '../helpers/auth.ts';

const NOW_MS = Date.UTC(2026, 11, 6, 4, 0, 0);
const NOW = NOW_MS / 1000;
const ISS = 'https://idp.example.com';
const AUD = 'nightshift';
const key = Buffer.from(SECRET);

const sign = (claims: Record<string, unknown>, secret = SECRET) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(Buffer.from(secret));

function codeOf(verifier: Hs256Verifier, token: string, nowMs = NOW_MS): string {
  try {
    verifier.verify(token, nowMs);
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof NsError, String(error));
    return error.code;
  }
}

/** The claims nightshift reads (jwt-claims.ts), as one object: what the verifier answers is compared on these. */
const claimsOf = (p: Record<string, unknown>) => Object.fromEntries(['sub', 'role', 'tenant', 'exp', 'nbf', 'iat', 'iss', 'aud'].map((k) => [k, p[k]]));

/** jose's verdict on the signature: accepted or not (its claim checks are compared below). */
async function joseAccepts(token: string): Promise<boolean> {
  return jwtVerify(token, key, { algorithms: ['HS256'], currentDate: new Date(NOW_MS) }).then(
    () => true,
    () => false,
  );
}

describe('HS256 verifier', () => {
  const plain = new Hs256Verifier(key, { issuer: null, audience: null });

  test('a valid token gives its payload', async () => {
    const token = await sign({ sub: 'ana', role: 'viewer', tenant: 'acme', exp: NOW + 60 });
    assert.deepEqual(claimsOf(plain.verify(token, NOW_MS)), claimsOf({ sub: 'ana', role: 'viewer', tenant: 'acme', exp: NOW + 60 }));
    assert.equal(plain.alg(token), 'HS256');
  });

  test('a signature changed at any character is refused exactly when jose refuses it', async () => {
    const token = await sign({ sub: 'ana', exp: NOW + 60 });
    const dot = token.lastIndexOf('.');
    const signature = token.slice(dot + 1);
    assert.equal(signature.length, 43);
    for (let i = 0; i < signature.length; i++) {
      for (const c of ['A', 'f', '-', '_', '9']) {
        if (signature[i] === c) continue;
        const forged = `${token.slice(0, dot + 1)}${signature.slice(0, i)}${c}${signature.slice(i + 1)}`;
        // The last character carries two spare bits: jose (like Buffer) ignores them, and so must this.
        const expected = (await joseAccepts(forged)) ? 'accepted' : 'NS_AUTH_SIGNATURE';
        assert.equal(codeOf(plain, forged), expected, `character ${i} → ${c}`);
      }
    }
  });

  test('a signature cut short, lengthened, empty, or made with another key is refused', async () => {
    const token = await sign({ sub: 'ana', exp: NOW + 60 });
    for (const forged of [token.slice(0, -1), `${token}A`, `${token}AAAA`, token.slice(0, token.lastIndexOf('.') + 1), await sign({ sub: 'ana', exp: NOW + 60 }, OTHER_SECRET)]) {
      assert.equal(await joseAccepts(forged), false);
      assert.equal(codeOf(plain, forged), 'NS_AUTH_SIGNATURE', forged);
    }
  });

  test('a payload or header changed under a valid signature is refused', async () => {
    const token = await sign({ sub: 'ana', role: 'viewer', exp: NOW + 60 });
    const [h, p, s] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(JSON.stringify({ sub: 'ana', role: 'super_admin', exp: NOW + 60 })).toString('base64url');
    const otherHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    assert.equal(codeOf(plain, `${h}.${otherPayload}.${s}`), 'NS_AUTH_SIGNATURE');
    assert.equal(codeOf(plain, `${otherHeader}.${p}.${s}`), 'NS_AUTH_SIGNATURE');
  });

  test('a signed payload that is not a JSON object is malformed; a token of two or four parts too', async () => {
    const h = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const { createHmac } = await import('node:crypto');
    const signed = (payload: string) => {
      const input = `${h}.${Buffer.from(payload).toString('base64url')}`;
      return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
    };
    for (const payload of ['not json', '[1,2]', '"text"', 'null', '42']) assert.equal(codeOf(plain, signed(payload)), 'NS_AUTH_MALFORMED', payload);
    assert.equal(codeOf(plain, 'aaa.bbb'), 'NS_AUTH_MALFORMED');
    assert.equal(codeOf(plain, 'aaa.bbb.ccc.ddd'), 'NS_AUTH_MALFORMED');
    assert.equal(codeOf(plain, signed('{"sub":"ünïcødé"}')), 'accepted');
  });

  test('exp and nbf hold within the 5 s tolerance, as jose checks them', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ exp: NOW - 4 }, 'accepted'],
      [{ exp: NOW - 5 }, 'NS_AUTH_EXPIRED'],
      [{ nbf: NOW + 5 }, 'accepted'],
      [{ nbf: NOW + 6 }, 'NS_AUTH_NOT_YET_VALID'],
      [{ exp: 'tomorrow' }, 'NS_AUTH_CLAIMS'],
      [{ nbf: null }, 'NS_AUTH_CLAIMS'],
      [{ iat: 'now' }, 'NS_AUTH_CLAIMS'],
    ];
    for (const [claims, code] of cases) assert.equal(codeOf(plain, await sign({ sub: 'ana', ...claims })), code, JSON.stringify(claims));
  });

  test('issuer and audience, when configured, must match', async () => {
    const strict = new Hs256Verifier(key, { issuer: ISS, audience: AUD });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ iss: ISS, aud: AUD }, 'accepted'],
      [{ iss: ISS, aud: ['other', AUD] }, 'accepted'],
      [{ iss: 'https://evil.example.com', aud: AUD }, 'NS_AUTH_ISSUER'],
      [{ aud: AUD }, 'NS_AUTH_ISSUER'],
      [{ iss: ISS, aud: 'other' }, 'NS_AUTH_AUDIENCE'],
      [{ iss: ISS }, 'NS_AUTH_AUDIENCE'],
    ];
    for (const [claims, code] of cases) assert.equal(codeOf(strict, await sign({ sub: 'ana', ...claims })), code, JSON.stringify(claims));
  });

  test('a payload is decoded as Buffer decodes base64url, for any signed text (fast-check)', async () => {
    const { createHmac } = await import('node:crypto');
    const h = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const signedPart = (payloadPart: string) => {
      const input = `${h}.${payloadPart}`;
      return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
    };
    // Claims of every kind of text (ASCII, accents, emoji, escapes), lengths around the scratch's size.
    await fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer(), fc.constant(null)), { maxKeys: 8 }), fc.integer({ min: 0, max: 3200 }), (claims, padding) => {
        const payload = { ...claims, pad: 'x'.repeat(padding) };
        const token = signedPart(Buffer.from(JSON.stringify(payload)).toString('base64url'));
        assert.deepEqual(claimsOf(plain.verify(token, NOW_MS)), claimsOf(JSON.parse(JSON.stringify(payload))));
      }),
      { numRuns: 300 },
    );
    // Bytes that are not UTF-8 decode as Buffer's toString does (U+FFFD), as jose's decoder did before.
    const latin = Buffer.concat([Buffer.from('{"sub":"'), Buffer.from([0xe9, 0xff, 0xc3]), Buffer.from('"}')]);
    assert.deepEqual(claimsOf(plain.verify(signedPart(latin.toString('base64url')), NOW_MS)), claimsOf(JSON.parse(latin.toString('utf8'))));
    assert.equal(plain.verify(signedPart(latin.toString('base64url')), NOW_MS).sub, JSON.parse(latin.toString('utf8')).sub);
  });

  test('a signed payload or header with a character outside base64url is malformed, not decoded leniently', async () => {
    const { createHmac } = await import('node:crypto');
    const h = Buffer.from('{"alg":"HS256"}').toString('base64url');
    const signed = (input: string) => `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
    // 12 bytes, 16 characters: one more character at the end adds no byte, so a lenient decoder would accept it.
    const p = Buffer.from('{"sub":"an"}').toString('base64url');
    assert.equal(p.length % 4, 0);
    assert.equal(codeOf(plain, signed(`${h}.${p}`)), 'accepted');
    // Buffer.from(…, 'base64url') skips such characters; the verifier refuses the token instead.
    // A non-ASCII character is refused earlier, by the MAC (hmac-sha256.ts hashes ASCII only).
    assert.equal(codeOf(plain, signed(`${h}.é${p}`)), 'NS_AUTH_SIGNATURE');
    for (const bad of ['+', '/', '=', ' ', '~', '\u007f']) {
      for (const at of [0, 5, p.length]) {
        const part = `${p.slice(0, at)}${bad}${p.slice(at)}`;
        assert.equal(codeOf(plain, signed(`${h}.${part}`)), 'NS_AUTH_MALFORMED', `${JSON.stringify(bad)} at ${at}`);
      }
      assert.equal(plain.alg(signed(`${h}${bad}.${p}`)), null, `header with ${JSON.stringify(bad)}`);
    }
    // A payload longer than the scratch buffer goes through Buffer, with the same check.
    const long = Buffer.from(JSON.stringify({ sub: 'ana', pad: 'y'.repeat(5003) })).toString('base64url');
    assert.equal(long.length % 4, 0);
    assert.equal(codeOf(plain, signed(`${h}.${long}`)), 'accepted');
    assert.equal(codeOf(plain, signed(`${h}.${long}=`)), 'NS_AUTH_MALFORMED');
    assert.equal(plain.alg(`.${p}.x`), null, 'an empty header part has no alg');
  });

  test("the header's alg is read once per distinct header; crit and b64 headers, and garbage, have none", async () => {
    const header = (h: object) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.e30.x`;
    assert.equal(plain.alg(header({ alg: 'none' })), 'none');
    assert.equal(plain.alg(header({ alg: 'HS256', crit: ['exp'] })), null);
    assert.equal(plain.alg(header({ alg: 'HS256', b64: false })), null);
    assert.equal(plain.alg(header({ alg: 'HS256' })), 'HS256');
    assert.equal(plain.alg('!!!.e30.x'), null);
    // Many distinct headers: the memory stays bounded and still answers right.
    for (let i = 0; i < 500; i++) assert.equal(plain.alg(header({ alg: 'HS256', kid: `k${i}` })), 'HS256');
    assert.equal(plain.alg(header({ alg: 'RS256' })), 'RS256');
  });
});
