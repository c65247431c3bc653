/**
 * readClaims (src/auth/jwt-claims.ts) against JSON.parse, its reference: on any payload it answers,
 * each claim is what JSON.parse gives, and it never answers for a text JSON.parse refuses or for JSON
 * that is not an object. It must also answer for the payloads real issuers send (else every request
 * would pay JSON.parse again), and never read the buffer past the payload's length.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readClaims } from '../../src/auth/jwt-claims.ts';

const CLAIMS = ['sub', 'role', 'tenant', 'exp', 'nbf', 'iat', 'iss', 'aud'] as const;
const claimsOf = (p: Record<string, unknown>) => Object.fromEntries(CLAIMS.map((k) => [k, p[k]]));

/** readClaims of a text, after older bytes in the same buffer (as the verifier's scratch holds them). */
function read(text: string, leftover = '"}]0123456789 tail'): ReturnType<typeof readClaims> {
  const bytes = Buffer.from(text, 'utf8');
  const buffer = Buffer.concat([bytes, Buffer.from(leftover)]);
  return readClaims(buffer, bytes.length);
}

/** JSON.parse's object, or null for what is not a JSON object. */
function reference(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function agrees(text: string): void {
  const got = read(text);
  if (got === null) return;
  const want = reference(text);
  assert.notEqual(want, null, `answered for a text JSON.parse does not give an object: ${JSON.stringify(text)}`);
  assert.deepEqual(claimsOf(got), claimsOf(want!), text);
}

const claimValue = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }),
  fc.double({ noNaN: true }),
  fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 8 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
);
const payload = fc.dictionary(fc.oneof(fc.constantFrom(...CLAIMS, 'jti', 'scope', '__proto__'), fc.string({ maxLength: 6 })), claimValue, { maxKeys: 10 });
const whitespace = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ');

test('on random payloads, every claim it reads is the one JSON.parse gives', () => {
  fc.assert(
    fc.property(payload, whitespace, (p, ws) => {
      const compact = JSON.stringify(p);
      agrees(compact);
      agrees(JSON.stringify(p, null, ws === '' ? undefined : ws.length));
      agrees(`${ws}${compact}${ws}`);
    }),
    { numRuns: 2000 },
  );
});

test('on any JSON value, and on texts that are almost JSON, it never answers where JSON.parse would not give an object', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.constantFrom('', '}', ']', ',', '"', ':', '\\', '0', '-', '.', 'e', ' ', '{', '\u0001', 'tru', 'nul'), (v, at, junk) => {
      const text = JSON.stringify(v) ?? 'null';
      agrees(text);
      const cut = at % (text.length + 1);
      agrees(text.slice(0, cut) + junk + text.slice(cut));
      agrees(text.slice(0, cut));
    }),
    { numRuns: 3000 },
  );
});

test('hand-picked edges: number syntax, escapes, duplicates, nesting, non-ASCII, trailing bytes', () => {
  for (const text of [
    '{"exp":01}',
    '{"exp":1.}',
    '{"exp":.5}',
    '{"exp":-}',
    '{"exp":1e}',
    '{"exp":1e+}',
    '{"exp":+1}',
    '{"exp":1E5,"nbf":-0,"iat":1.5e-3}',
    '{"exp":123456789012345678901234567890}',
    '{"exp":1e400}',
    '{"exp":"1"}',
    '{"exp":null}',
    '{"sub":"a","sub":"b"}',
    '{"sub":"a","sub":2}',
    '{"sub":"\\u0061"}',
    '{"s\\u0075b":"x"}',
    '{"sub":"\\x"}',
    '{"sub":"a\\"b"}',
    '{"sub":"tab\there"}',
    '{"sub":"é"}',
    '{"tenant":["a","b"],"aud":["x"]}',
    '{"tenant":["a",1]}',
    '{"tenant":[]}',
    '{"tenant":{"a":1}}',
    '{"role":true}',
    '{"x":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}',
    '{"x":{"sub":"nested"},"sub":"top"}',
    '{"a":1,}',
    '{,"a":1}',
    '{"a" 1}',
    '{"a":1}{"b":2}',
    '{"a":1} x',
    '{}',
    ' {} ',
    '[]',
    '"text"',
    '',
    '{"sub":"unterminated',
  ]) {
    agrees(text);
  }
  // Past the payload the buffer holds other bytes: they are never read as part of it.
  assert.equal(read('{"sub":"ab', 'c"}'), null);
  assert.equal(read('{"exp":12', '34}'), null);
  assert.equal(read('{"a":tr', 'ue}'), null);
});

test('it answers for what issuers send, so those requests never pay JSON.parse', () => {
  const typical = [
    { sub: 'bench', role: 'operator', tenant: 'acme', jti: 't123', iat: 1796538050, exp: 1796545250 },
    { sub: 'ana@example.com', role: 'admin', tenant: ['acme', 'globex'], iss: 'https://idp.example.com', aud: 'nightshift', iat: 1796538050, nbf: 1796538050, exp: 1796545250 },
    { sub: '9f1c2e4a-3b1d-4c8e-9a7f-1b2c3d4e5f60', role: 'super_admin', aud: ['nightshift', 'other'], scope: 'read write', email_verified: true, groups: ['a', 'b'], extra: { nested: [1, 2, { x: null }] } },
  ];
  for (const p of typical) {
    const got = read(JSON.stringify(p));
    assert.notEqual(got, null, JSON.stringify(p));
    assert.deepEqual(claimsOf(got!), claimsOf(p));
  }
});
