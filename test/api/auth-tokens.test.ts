/**
 * Credentials accepted and refused, each refusal a 401 with its stable code: HS256 JWTs (expiry,
 * not-before, issuer, audience, claims, alg none, a wrong key), RS256 and ES256 through a JWKS file,
 * and API keys (shown once, stored hashed, scoped to one tenant and role, revoked at once).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { assertError, body, type TestApi } from '../helpers/api.ts';
import { asymmetric, bearer, hsToken, openAuthApi, OTHER_SECRET, SECRET, unsignedToken } from '../helpers/auth.ts';
import { tempDir } from '../helpers/settings.ts';

const ISS = 'https://idp.example.com';
const AUD = 'nightshift';

describe('JWT bearer tokens (HS256, issuer and audience configured)', () => {
  let t: TestApi;
  let now: number;
  const get = (token: string | null, url = '/api/tenants') => t.app.inject({ url, headers: token === null ? {} : bearer(token) });
  const good = { sub: 'ana', role: 'viewer', tenant: 'acme', iss: ISS, aud: AUD };

  before(async () => {
    t = await openAuthApi({ issuer: ISS, audience: AUD });
    now = t.clock.now();
  });
  after(() => t.close());

  test('a valid token is accepted, and the caller sees its own tenant only', async () => {
    const res = await get(await hsToken(now, good));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(body<{ tenants: Array<{ id: string }> }>(res).tenants.map((x) => x.id), ['acme']);
  });

  test('each refusal is a 401 with its own stable code and a WWW-Authenticate header', async () => {
    const cases: Array<[string, string | null, string]> = [
      ['no header', null, 'NS_UNAUTHENTICATED'],
      ['not a bearer', 'Basic abc', 'NS_AUTH_MALFORMED'],
      ['garbage', 'Bearer ***', 'NS_AUTH_MALFORMED'],
      ['three parts, not JSON', 'Bearer aaa.bbb.ccc', 'NS_AUTH_MALFORMED'],
      ['expired', `Bearer ${await hsToken(now, good, { expSeconds: -10 })}`, 'NS_AUTH_EXPIRED'],
      ['not yet valid', `Bearer ${await hsToken(now, good, { nbfSeconds: 600 })}`, 'NS_AUTH_NOT_YET_VALID'],
      ['alg none', `Bearer ${unsignedToken(now, good)}`, 'NS_AUTH_ALGORITHM'],
      ['wrong key', `Bearer ${await hsToken(now, good, { secret: OTHER_SECRET })}`, 'NS_AUTH_SIGNATURE'],
      ['wrong issuer', `Bearer ${await hsToken(now, { ...good, iss: 'https://evil.example.com' })}`, 'NS_AUTH_ISSUER'],
      ['no issuer', `Bearer ${await hsToken(now, { ...good, iss: '' })}`, 'NS_AUTH_ISSUER'],
      ['wrong audience', `Bearer ${await hsToken(now, { ...good, aud: 'someone-else' })}`, 'NS_AUTH_AUDIENCE'],
      ['no sub', `Bearer ${await hsToken(now, { ...good, sub: undefined })}`, 'NS_AUTH_CLAIMS'],
      ['unknown role', `Bearer ${await hsToken(now, { ...good, role: 'owner' })}`, 'NS_AUTH_CLAIMS'],
      ['no tenant below super admin', `Bearer ${await hsToken(now, { ...good, tenant: undefined })}`, 'NS_AUTH_CLAIMS'],
      ['tenant "*" below super admin', `Bearer ${await hsToken(now, { ...good, tenant: '*' })}`, 'NS_AUTH_CLAIMS'],
      ['RS256 without a JWKS configured', `Bearer ${await (await asymmetric('RS256', 'k1')).sign(now, good)}`, 'NS_AUTH_ALGORITHM'],
      ['unknown API key', 'Bearer nsk_key_000000000000000000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'NS_AUTH_KEY_INVALID'],
      ['malformed API key', 'Bearer nsk_nope', 'NS_AUTH_MALFORMED'],
    ];
    for (const [name, header, code] of cases) {
      const res = await t.app.inject({ url: '/api/tenants', headers: header === null ? {} : { authorization: header } });
      assertError(res, { status: 401, code: code as never, field: 'authorization' });
      assert.match(String(res.headers['www-authenticate']), new RegExp(`^Bearer .*${code}`), name);
      // jose's own words (they may quote claims) never reach the caller.
      assert.doesNotMatch(res.body, /JWS|jose|claim timestamp check|signature verification failed/, name);
    }
  });

  test('a token for several tenants sees each, and must name one on an operator view', async () => {
    const token = await hsToken(now, { ...good, tenant: ['acme', 'globex'] });
    assert.equal((await get(token)).statusCode, 200);
    assert.deepEqual(body<{ tenants: Array<{ id: string }> }>(await get(token)).tenants.map((x) => x.id), ['acme', 'globex']);
    assertError(await get(token, '/api/runs'), { status: 400, code: 'NS_VALIDATION', field: 'tenantId', message: /several tenants/ });
    assert.equal((await get(token, '/api/runs?tenantId=globex')).statusCode, 200);
  });

  test('a public route answers whatever the credential, even a bad one', async () => {
    assert.equal((await t.app.inject({ url: '/health/live', headers: { authorization: 'Bearer ***' } })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/openapi.json' })).statusCode, 200);
  });

  test('security headers are on every answer', async () => {
    const res = await get(null);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['content-security-policy'], 'a CSP');
    assert.ok(res.headers['strict-transport-security'] !== undefined || res.headers['x-frame-options'] !== undefined);
  });
});

describe('a token accepted before (verified once, then known)', () => {
  test('is refused once it expires, and before its nbf when the clock goes back', async () => {
    const t = await openAuthApi({});
    try {
      const start = t.clock.now();
      const claims = { sub: 'ana', role: 'viewer', tenant: 'acme' };
      const token = await hsToken(start, claims, { expSeconds: 60, nbfSeconds: 0 });
      const get = () => t.app.inject({ url: '/api/tenants', headers: bearer(token) });
      assert.equal((await get()).statusCode, 200);
      assert.equal((await get()).statusCode, 200, 'the second use, from the verified tokens');
      t.clock.advance(120_000);
      assertError(await get(), { status: 401, code: 'NS_AUTH_EXPIRED' });
      const later = await hsToken(start, claims, { expSeconds: 3600, nbfSeconds: 600 });
      t.clock.advance(600_000);
      assert.equal((await t.app.inject({ url: '/api/tenants', headers: bearer(later) })).statusCode, 200);
      t.clock.set(start);
      assertError(await t.app.inject({ url: '/api/tenants', headers: bearer(later) }), { status: 401, code: 'NS_AUTH_NOT_YET_VALID' });
    } finally {
      await t.close();
    }
  });
});

describe('JWT bearer tokens through a JWKS file (RS256 and ES256)', () => {
  test('tokens of either key verify; a key not in the set, HS256 without a secret, and alg none are refused', async () => {
    const rs = await asymmetric('RS256', 'rsa-1');
    const es = await asymmetric('ES256', 'ec-1');
    const stranger = await asymmetric('RS256', 'rsa-1');
    const file = join(tempDir('ns-jwks-'), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [...rs.jwks.keys, ...es.jwks.keys] }));
    const t = await openAuthApi({ jwtSecret: null, jwks: file });
    try {
      const now = t.clock.now();
      const claims = { sub: 'svc', role: 'operator', tenant: 'globex' };
      for (const token of [await rs.sign(now, claims), await es.sign(now, claims)]) {
        const res = await t.app.inject({ url: '/api/runs', headers: bearer(token) });
        assert.equal(res.statusCode, 200, res.body);
      }
      assertError(await t.app.inject({ url: '/api/runs', headers: bearer(await stranger.sign(now, claims)) }), { status: 401, code: 'NS_AUTH_SIGNATURE' });
      assertError(await t.app.inject({ url: '/api/runs', headers: bearer(await hsToken(now, claims, { secret: SECRET })) }), { status: 401, code: 'NS_AUTH_ALGORITHM' });
      assertError(await t.app.inject({ url: '/api/runs', headers: bearer(unsignedToken(now, claims)) }), { status: 401, code: 'NS_AUTH_ALGORITHM' });
      // A token with a kid the set does not have.
      const other = await new SignJWT({ role: 'viewer', tenant: 'acme' }).setProtectedHeader({ alg: 'HS256', kid: 'nope' }).setSubject('x').setExpirationTime(Math.floor(now / 1000) + 60).sign(Buffer.from(SECRET));
      assertError(await t.app.inject({ url: '/api/runs', headers: bearer(other) }), { status: 401, code: 'NS_AUTH_ALGORITHM' });
    } finally {
      await t.close();
    }
  });
});

describe('API keys', () => {
  let t: TestApi;
  let root: string;
  before(async () => {
    t = await openAuthApi();
    root = (await t.engine.keys.create({ tenant: '*', role: 'super_admin', createdBy: 'test' })).token;
  });
  after(() => t.close());

  test('created over the API, shown once, stored hashed, scoped to one tenant and role, revoked at once', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/keys', headers: bearer(root), payload: { tenant: 'acme', role: 'operator', name: 'ci' } });
    assert.equal(created.statusCode, 201, created.body);
    const { key, token } = body<{ key: { id: string; tenant: string; role: string }; token: string }>(created);
    assert.deepEqual([key.tenant, key.role], ['acme', 'operator']);
    const secret = token.split('.')[1]!;
    // Not stored, not listed: only its hash is in the store.
    const rows = await t.engine.db.k.selectFrom('api_keys').selectAll().execute();
    assert.ok(!JSON.stringify(rows).includes(secret), 'the secret is not in the store');
    const listed = await t.app.inject({ url: '/api/keys?tenantId=acme', headers: bearer(root) });
    assert.ok(!listed.body.includes(secret) && listed.body.includes(key.id));

    // Its tenant and role, nothing more.
    assert.equal((await t.app.inject({ url: '/api/tenants/acme/models', headers: bearer(token) })).statusCode, 200);
    assertError(await t.app.inject({ url: '/api/tenants/globex/models', headers: bearer(token) }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await t.app.inject({ method: 'POST', url: '/api/tenants/acme/models/failure/promote', headers: bearer(token), payload: { version: 1 } }), { status: 403, code: 'NS_FORBIDDEN' });
    // A secret one character off is refused like an unknown key.
    const off = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assertError(await t.app.inject({ url: '/api/runs', headers: bearer(off) }), { status: 401, code: 'NS_AUTH_KEY_INVALID' });

    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/keys/${key.id}`, headers: bearer(root) });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assertError(await t.app.inject({ url: '/api/runs', headers: bearer(token) }), { status: 401, code: 'NS_AUTH_KEY_INVALID' });
    assertError(await t.app.inject({ method: 'DELETE', url: `/api/keys/${key.id}`, headers: bearer(root) }), { status: 409, code: 'NS_CONFLICT' });
  });

  test("an admin manages its own tenant's keys, up to its own role, and another tenant's key is not found", async () => {
    const admin = (await t.engine.keys.create({ tenant: 'acme', role: 'admin', createdBy: 'test' })).token;
    const globexKey = (await t.engine.keys.create({ tenant: 'globex', role: 'viewer', createdBy: 'test' })).key;
    const mine = await t.app.inject({ method: 'POST', url: '/api/keys', headers: bearer(admin), payload: { role: 'viewer' } });
    assert.equal(mine.statusCode, 201, mine.body);
    assert.equal(body<{ key: { tenant: string } }>(mine).key.tenant, 'acme', "the admin's own tenant when none is named");
    assertError(await t.app.inject({ method: 'POST', url: '/api/keys', headers: bearer(admin), payload: { role: 'super_admin', tenant: '*' } }), { status: 404, code: 'NS_NOT_FOUND' });
    assertError(await t.app.inject({ method: 'POST', url: '/api/keys', headers: bearer(admin), payload: { role: 'super_admin' } }), { status: 403, code: 'NS_FORBIDDEN' });
    assertError(await t.app.inject({ method: 'POST', url: '/api/keys', headers: bearer(admin), payload: { role: 'viewer', tenant: 'globex' } }), { status: 404, code: 'NS_NOT_FOUND' });
    const missing = await t.app.inject({ method: 'DELETE', url: '/api/keys/key_000000000000000000000', headers: bearer(admin) });
    const foreign = await t.app.inject({ method: 'DELETE', url: `/api/keys/${globexKey.id}`, headers: bearer(admin) });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.body.replaceAll(globexKey.id, 'key_000000000000000000000'), missing.body, "another tenant's key answers exactly as a missing one");
    const listed = body<{ keys: Array<{ tenant: string }> }>(await t.app.inject({ url: '/api/keys', headers: bearer(admin) }));
    assert.ok(listed.keys.length > 0 && listed.keys.every((k) => k.tenant === 'acme'));
  });

  test('a model that runs a program or reads the host (command trainer, CSV path, SQL source) is declared by a super admin only', async () => {
    const admin = (await t.engine.keys.create({ tenant: 'acme', role: 'admin', createdBy: 'test' })).token;
    const before = await t.engine.db.k.selectFrom('model_definitions').selectAll().execute();
    for (const body of [
      { task: 'binary', dataset: 'machines', trainer: { kind: 'command', command: '/bin/sh', args: ['-c', 'id'] } },
      { task: 'binary', dataset: 'machines', source: { kind: 'csv', path: '/etc/passwd' } },
      { task: 'binary', dataset: 'machines', source: { kind: 'sql', url: 'postgres://x@db/app', query: 'select 1' } },
    ]) {
      assertError(await t.app.inject({ method: 'PUT', url: '/api/tenants/acme/models/m1', headers: bearer(admin), payload: body }), { status: 403, code: 'NS_FORBIDDEN', message: /only a super admin/ });
    }
    assert.deepEqual(await t.engine.db.k.selectFrom('model_definitions').selectAll().execute(), before);
  });

  test('the first-start key is made once: never again, even once every key is revoked', async () => {
    const fresh = await openAuthApi();
    try {
      const first = await fresh.engine.keys.createFirstKey();
      assert.ok(first && first.key.role === 'super_admin' && first.key.tenant === '*');
      assert.equal((await fresh.app.inject({ url: '/metrics', headers: bearer(first.token) })).statusCode, 200);
      await fresh.engine.keys.revoke(null, first.key.id);
      assert.equal(await fresh.engine.keys.createFirstKey(), null);
    } finally {
      await fresh.close();
    }
  });
});
