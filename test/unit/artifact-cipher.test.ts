/**
 * Per-tenant artifact encryption, property-based (fast-check): any bytes round-trip for any tenant;
 * any flipped bit, truncation, moved tenant or foreign hash is refused with its own reason, never a
 * wrong plaintext; a wrong master key is named as such. The master key file is created 0600 and a
 * readable one is refused. The sealer for small secrets binds tenant and context.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ArtifactCipherError, HEADER_BYTES, SEGMENT_BYTES } from '../../src/crypto/artifact-cipher.ts';
import { generateMasterKey, loadMasterKeyring, MasterKeyring, parseMasterKey } from '../../src/crypto/master-key.ts';
import { SecretSealer } from '../../src/crypto/sealer.ts';
import { isNsError } from '../../src/errors.ts';
import { EncryptedCodec } from '../../src/registry/encrypted-codec.ts';
import { tempDir } from '../helpers/settings.ts';

const tenant = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/);
const ring = (...keys: ReturnType<typeof generateMasterKey>[]) => new MasterKeyring(keys[0]!, keys.slice(1), 'env', null);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function encode(codec: EncryptedCodec, tenantId: string, plain: Uint8Array, pieces = 1): Promise<Buffer> {
  async function* chunks() {
    const step = Math.max(1, Math.ceil(plain.length / pieces));
    for (let i = 0; i < plain.length; i += step) yield plain.subarray(i, i + step);
  }
  const out: Uint8Array[] = [];
  for await (const c of codec.encode(tenantId, chunks())) out.push(c);
  return Buffer.concat(out);
}

function refusal(fn: () => unknown): ArtifactCipherError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ArtifactCipherError, String(error));
    return error;
  }
  assert.fail('expected the stored bytes to be refused');
}

describe('artifact encryption', () => {
  const codec = new EncryptedCodec(ring(generateMasterKey()));

  test('any bytes, any tenant, any chunking: round-trips, and nothing of the plaintext is stored in the clear', async () => {
    await fc.assert(
      fc.asyncProperty(tenant, fc.uint8Array({ maxLength: 3 * SEGMENT_BYTES + 100 }), fc.integer({ min: 1, max: 7 }), async (t, plain, pieces) => {
        const stored = await encode(codec, t, plain, pieces);
        assert.deepEqual(codec.decode({ tenantId: t, sha256: sha(plain) }, stored), Buffer.from(plain));
        assert.equal(codec.isCurrent(stored), true);
        if (plain.length >= 32) assert.equal(stored.indexOf(Buffer.from(plain.subarray(0, 32))), -1, 'no 32-byte run of plaintext in the stored bytes');
      }),
      { numRuns: 200 },
    );
  });

  test('a flipped bit anywhere is refused, never decoded to other bytes', async () => {
    await fc.assert(
      fc.asyncProperty(tenant, fc.uint8Array({ minLength: 1, maxLength: 2 * SEGMENT_BYTES + 10 }), fc.nat(), fc.integer({ min: 0, max: 7 }), async (t, plain, at, bit) => {
        const stored = await encode(codec, t, plain);
        const i = at % stored.length;
        stored[i] = stored[i]! ^ (1 << bit);
        let decoded: Buffer | null = null;
        try {
          decoded = codec.decode({ tenantId: t, sha256: sha(plain) }, stored);
        } catch (error) {
          assert.ok(error instanceof ArtifactCipherError, String(error));
          return;
        }
        // Only a flip in the magic leaves "plaintext" the caller then checks against the hash (and refuses).
        assert.ok(i < 8, `a flip at ${i} was accepted`);
        assert.notEqual(sha(decoded), sha(plain));
      }),
      { numRuns: 300 },
    );
  });

  test('truncated, reordered or extended bytes are refused', async () => {
    const plain = Buffer.alloc(3 * SEGMENT_BYTES + 5, 7);
    const stored = await encode(codec, 'acme', plain);
    const ref = { tenantId: 'acme', sha256: sha(plain) };
    await fc.assert(
      fc.property(fc.integer({ min: 1, max: stored.length - 1 }), (cut) => {
        const short = stored.subarray(0, stored.length - cut);
        // Cut inside the magic, it no longer reads as encrypted: handed back for the hash check, which refuses it.
        if (short.length < 8) assert.notEqual(sha(codec.decode(ref, short)), ref.sha256);
        else refusal(() => codec.decode(ref, short));
      }),
      { numRuns: 100 },
    );
    const seg = SEGMENT_BYTES + 16;
    const swapped = Buffer.concat([stored.subarray(0, HEADER_BYTES), stored.subarray(HEADER_BYTES + seg, HEADER_BYTES + 2 * seg), stored.subarray(HEADER_BYTES, HEADER_BYTES + seg), stored.subarray(HEADER_BYTES + 2 * seg)]);
    assert.equal(refusal(() => codec.decode(ref, swapped)).reason, 'tampered');
    assert.equal(refusal(() => codec.decode(ref, Buffer.concat([stored, Buffer.alloc(16)]))).reason, 'tampered');
  });

  test("an artifact moved to another tenant, or to another artifact's place, is refused", async () => {
    await fc.assert(
      fc.asyncProperty(tenant, tenant, fc.uint8Array({ maxLength: 5000 }), async (a, b, plain) => {
        fc.pre(a !== b);
        const stored = await encode(codec, a, plain);
        const moved = refusal(() => codec.decode({ tenantId: b, sha256: sha(plain) }, stored));
        assert.equal(moved.reason, 'tampered');
        assert.match(moved.message, new RegExp(`belongs to another tenant than "${b.replace(/\./g, '\\.')}"`));
        const other = sha(Buffer.concat([Buffer.from(plain), Buffer.from([1])]));
        assert.equal(refusal(() => codec.decode({ tenantId: a, sha256: other }, stored)).reason, 'moved');
      }),
      { numRuns: 100 },
    );
  });

  test('a wrong master key is refused and named; a retired key still reads, and is not current', async () => {
    const [k1, k2] = [generateMasterKey(), generateMasterKey()];
    const plain = Buffer.from('model bytes');
    const stored = await encode(new EncryptedCodec(ring(k1)), 'acme', plain);
    const wrong = refusal(() => new EncryptedCodec(ring(k2)).decode({ tenantId: 'acme', sha256: sha(plain) }, stored));
    assert.equal(wrong.reason, 'wrong-key');
    assert.match(wrong.message, new RegExp(`encrypted with master key ${k1.id}, which this process does not have \\(it has ${k2.id}\\)`));
    const rotated = new EncryptedCodec(ring(k2, k1));
    assert.deepEqual(rotated.decode({ tenantId: 'acme', sha256: sha(plain) }, stored), plain);
    assert.equal(rotated.isCurrent(stored), false, 'a rotation rewrites it');
    // Plaintext from before encryption: returned for the caller's hash check, and not current.
    assert.deepEqual(rotated.decode({ tenantId: 'acme', sha256: sha(plain) }, plain), plain);
    assert.equal(rotated.isCurrent(plain), false);
  });
});

describe('master key', () => {
  test('the key file is created 0600 on first use and read back the same; a readable one is refused', () => {
    const dir = tempDir();
    const first = loadMasterKeyring({ dataDir: dir, env: { current: null, previous: [] } });
    const file = join(dir, 'master.key');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(loadMasterKeyring({ dataDir: dir, env: { current: null, previous: [] } }).current.id, first.current.id);
    chmodSync(file, 0o644);
    assert.throws(
      () => loadMasterKeyring({ dataDir: dir, env: { current: null, previous: [] } }),
      (e: unknown) => isNsError(e) && e.code === 'NS_CONFIG_INVALID' && /readable by others \(mode 644\); run `chmod 600 /.test(e.message),
    );
    assert.doesNotMatch(readFileSync(file, 'utf8'), new RegExp(first.current.id), 'the file holds the key, its id is derived');
  });

  test('NIGHTSHIFT_MASTER_KEY wins over the file, as base64 or hex; anything else names the variable and how to make one', () => {
    const dir = tempDir();
    const key = generateMasterKey();
    for (const text of [key.bytes.toString('base64'), key.bytes.toString('hex')]) {
      const r = loadMasterKeyring({ dataDir: dir, env: { current: text, previous: [] } });
      assert.deepEqual([r.current.id, r.source], [key.id, 'env']);
    }
    assert.throws(() => parseMasterKey('too short', 'NIGHTSHIFT_MASTER_KEY'), /NIGHTSHIFT_MASTER_KEY: a master key is 32 random bytes as 64 hex digits or base64; generate one with `openssl rand -base64 32`/);
    assert.throws(() => loadMasterKeyring({ dataDir: tempDir(), env: { current: null, previous: [] }, create: false }), /no key file at/);
  });

  test('a key file rotated by another process is picked up when its new key id is met', async () => {
    const dir = tempDir();
    const server = loadMasterKeyring({ dataDir: dir, env: { current: null, previous: [] } });
    const old = server.current;
    const fresh = generateMasterKey();
    writeFileSync(join(dir, 'master.key'), `${fresh.bytes.toString('base64')}\n${old.bytes.toString('base64')}\n`, { mode: 0o600 });
    assert.equal(server.find(fresh.id)?.id, fresh.id);
    assert.equal(server.current.id, fresh.id);
    assert.equal(server.find(old.id)?.id, old.id);
  });
});

describe('secret sealer', () => {
  test('round-trips any secret; another tenant or context, a flipped character or an unknown key is refused', () => {
    const k1 = generateMasterKey();
    const sealer = new SecretSealer(ring(k1));
    fc.assert(
      fc.property(tenant, tenant, fc.string({ maxLength: 300 }), fc.string({ maxLength: 20 }), fc.nat(), (a, b, secret, context, at) => {
        const sealed = sealer.seal(a, secret, context);
        assert.equal(sealer.open(a, sealed, context), secret);
        assert.ok(!sealed.includes(secret) || secret.length < 4);
        if (a !== b) assert.throws(() => sealer.open(b, sealed, context), /fails authentication/);
        assert.throws(() => sealer.open(a, sealed, `${context}x`), /fails authentication/);
        const body = sealed.lastIndexOf('.') + 1;
        const i = body + (at % (sealed.length - body));
        const flipped = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
        assert.throws(() => sealer.open(a, flipped, context), (e: unknown) => isNsError(e) && e.code === 'NS_STORE');
      }),
      { numRuns: 300 },
    );
    const other = new SecretSealer(ring(generateMasterKey()));
    assert.throws(() => other.open('acme', sealer.seal('acme', 's3cret')), new RegExp(`sealed with master key ${k1.id}, which this process does not have`));
    assert.equal(new SecretSealer(ring(generateMasterKey(), k1)).needsReseal(sealer.seal('acme', 'x')), true);
  });
});
