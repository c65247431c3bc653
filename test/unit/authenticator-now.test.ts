/**
 * Authenticator.authenticateNow, the synchronous path every bearer HS256 request takes: tokens that
 * differ only in jti, iat and exp share one frozen principal; another subject, role or tenant gets its
 * own; and a credential that is not JWT-shaped is left to authenticate() (which answers "neither a JWT
 * nor an API key"), while a JWT-shaped one that fails is refused here with its own code.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { ManualClock } from '../../src/clock.ts';
import { NsError } from '../../src/errors.ts';
import type { KeyService } from '../../src/services/key-service.ts';
import { authSettings, hsToken, OTHER_SECRET, SECRET } from '../helpers/auth.ts';

const clock = new ManualClock('2026-12-06T07:00:00Z');
const bearer = (token: string) => `Bearer ${token}`;

function refusalOf(f: () => unknown): string {
  try {
    f();
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof NsError, String(error));
    return error.code;
  }
}

test('tokens of one subject, role and tenant share a frozen principal; any other claim makes its own', async () => {
  const auth = new Authenticator(authSettings(), {} as KeyService, clock);
  const withJti = (jti: string, claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(String(claims.sub ?? 'ana')).setJti(jti).setIssuedAt(Math.floor(clock.now() / 1000)).setExpirationTime('1h').sign(Buffer.from(SECRET));
  const first = auth.authenticateNow(bearer(await withJti('a', { role: 'operator', tenant: 'acme' })));
  const second = auth.authenticateNow(bearer(await withJti('b', { role: 'operator', tenant: 'acme' })));
  assert.deepEqual(first, { subject: 'ana', keyId: null, role: 'operator', tenants: ['acme'], via: 'jwt' });
  assert.equal(second, first, 'the same object');
  assert.ok(Object.isFrozen(first) && Object.isFrozen(first!.tenants));

  const otherTenant = auth.authenticateNow(bearer(await withJti('c', { role: 'operator', tenant: 'globex' })));
  assert.deepEqual(otherTenant?.tenants, ['globex']);
  const otherRole = auth.authenticateNow(bearer(await withJti('d', { role: 'viewer', tenant: 'globex' })));
  assert.equal(otherRole?.role, 'viewer');
  const otherSubject = auth.authenticateNow(bearer(await withJti('e', { sub: 'bob', role: 'viewer', tenant: 'globex' })));
  assert.equal(otherSubject?.subject, 'bob');
  const list = auth.authenticateNow(bearer(await withJti('f', { sub: 'bob', role: 'viewer', tenant: ['globex', 'acme'] })));
  assert.deepEqual(list?.tenants, ['globex', 'acme']);
  const listAgain = auth.authenticateNow(bearer(await withJti('g', { sub: 'bob', role: 'viewer', tenant: ['globex'] })));
  assert.deepEqual(listAgain?.tenants, ['globex'], 'a list claim is never taken for the last principal');
  const admin = auth.authenticateNow(bearer(await withJti('h', { sub: 'bob', role: 'super_admin', tenant: 'globex' })));
  assert.equal(admin?.tenants, '*');
  // A refused token changes nothing: the next good one is still judged on its own claims.
  const forged = `${(await withJti('i', { sub: 'bob', role: 'owner' })).slice(0, -2)}AA`;
  assert.equal(refusalOf(() => auth.authenticateNow(bearer(forged))), 'NS_AUTH_SIGNATURE');
  assert.deepEqual(auth.authenticateNow(bearer(await withJti('j', { sub: 'bob', role: 'super_admin', tenant: 'globex' }))), admin);
});

test('a credential without the JWT shape is left to authenticate(); a JWT-shaped one that fails is refused with its code', async () => {
  const auth = new Authenticator(authSettings(), {} as KeyService, clock);
  const good = await hsToken(clock.now(), { sub: 'ana', role: 'viewer', tenant: 'acme' });
  assert.equal(auth.authenticateNow(bearer(good))?.subject, 'ana');
  // Not JWT-shaped: nothing decided here, and authenticate() gives its answer.
  const header = Buffer.from('{"alg":"HS256"}').toString('base64url');
  const input = `${header}.${Buffer.from('{"sub":"ana","role":"viewer","tenant":"acme"}').toString('base64url')}=`;
  const signedOddly = `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
  for (const credential of ['***', 'a.b', `${good}.x`, signedOddly]) {
    assert.equal(auth.authenticateNow(bearer(credential)), undefined, credential);
    await assert.rejects(auth.authenticate(bearer(credential)), (e: unknown) => e instanceof NsError && e.code === 'NS_AUTH_MALFORMED' && /neither a JWT nor an API key/.test(e.message), credential);
  }
  assert.equal(auth.authenticateNow(bearer(`${good} tail`)), undefined);
  await assert.rejects(auth.authenticate(bearer(`${good} tail`)), (e: unknown) => e instanceof NsError && e.code === 'NS_AUTH_MALFORMED');
  // JWT-shaped but refused: the verifier's own code, thrown without waiting.
  const otherKey = await hsToken(clock.now(), { sub: 'ana', role: 'viewer', tenant: 'acme' }, { secret: OTHER_SECRET });
  assert.equal(refusalOf(() => auth.authenticateNow(bearer(otherKey))), 'NS_AUTH_SIGNATURE');
  const notJson = `${header}.${Buffer.from('not json').toString('base64url')}`;
  assert.equal(refusalOf(() => auth.authenticateNow(bearer(`${notJson}.${createHmac('sha256', SECRET).update(notJson).digest('base64url')}`))), 'NS_AUTH_MALFORMED');
});
