/**
 * A verified HS256 token is remembered from its second verification on (recurring-tokens.ts), and a
 * remembered one is still refused once its exp passes; the bits that say "seen before" are cleared
 * before they fill up, so tokens sent once are not all taken for recurring.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { JwtVerifier } from '../../src/auth/jwt.ts';
import { RecurringTokens } from '../../src/auth/recurring-tokens.ts';
import { ManualClock } from '../../src/clock.ts';
import { NsError } from '../../src/errors.ts';
import { authSettings, hsToken } from '../helpers/auth.ts';

const signatureLike = () => randomBytes(32).toString('base64url');

test('a token is remembered on its second verification, not its first, and refused once it expires', async () => {
  const clock = new ManualClock('2026-12-06T04:00:00Z');
  const verifier = new JwtVerifier(authSettings(), clock);
  const token = await hsToken(clock.now(), { sub: 'ana', role: 'viewer', tenant: 'acme' }, { expSeconds: 60 });
  assert.equal(verifier.remembered(token), undefined);
  assert.equal(verifier.verifyNow(token)?.subject, 'ana');
  assert.equal(verifier.remembered(token), undefined, 'not after one verification');
  assert.equal(verifier.verifyNow(token)?.subject, 'ana');
  assert.equal(verifier.remembered(token)?.subject, 'ana', 'after the second');
  clock.advance(66_000);
  assert.equal(verifier.remembered(token), undefined, 'expired: forgotten');
  assert.throws(() => verifier.verifyNow(token), (e: unknown) => e instanceof NsError && e.code === 'NS_AUTH_EXPIRED');
});

test('a signature is seen before only once marked; marks are cleared before a sixteenth of the bits is set', () => {
  const recurring = new RecurringTokens();
  const tokens = Array.from({ length: 1000 }, () => `h.p.${signatureLike()}`);
  assert.equal(tokens.filter((t) => recurring.seenBefore(t)).length < 30, true, 'few of 1,000 random signatures share a bit');
  assert.equal(tokens.every((t) => recurring.seenBefore(t)), true, 'each is seen on its second pass');
  // 100,000 more tokens each sent once: the share taken for recurring stays small (the bits are cleared).
  let early = 0;
  for (let i = 0; i < 100_000; i++) if (recurring.seenBefore(`h.p.${signatureLike()}`)) early++;
  assert.ok(early < 100_000 / 16, `${early} of 100,000 tokens sent once taken for recurring`);
});

test('a token may recur only once its bit is set, and no longer once the bits are cleared', () => {
  const recurring = new RecurringTokens();
  const token = `h.p.${signatureLike()}`;
  assert.equal(recurring.mayRecur(token), false);
  assert.equal(recurring.seenBefore(token), false);
  assert.equal(recurring.mayRecur(token), true);
  let others = 0;
  while (recurring.mayRecur(token) && others < 20_000) {
    recurring.seenBefore(`h.p.${signatureLike()}`);
    others++;
  }
  assert.equal(recurring.mayRecur(token), false, 'cleared after a round of marks');
  assert.ok(others >= 4095, `cleared after ${others} other tokens: not before 4,096 bits were set`);
});

test('a token too short to carry a signature is never taken for recurring', () => {
  const recurring = new RecurringTokens();
  assert.equal(recurring.mayRecur('a.b'), false);
  assert.equal(recurring.seenBefore('a.b'), false);
  assert.equal(recurring.seenBefore('a.b'), false);
});
