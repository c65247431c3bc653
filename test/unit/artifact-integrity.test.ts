/**
 * Which load failures are integrity failures (ARTIFACT_INTEGRITY): real artifacts encrypted and then
 * refused by the storage's decodeVerified for a flipped byte, another tenant, a wrong master key and
 * a hash that is not the registered one; and the errors that are not about integrity (no champion,
 * a missing file, a model the runtime refuses, any other error) are not classified as such.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { generateMasterKey, MasterKeyring } from '../../src/crypto/master-key.ts';
import { NsError } from '../../src/errors.ts';
import { integrityFailure } from '../../src/monitor/artifact-integrity.ts';
import { decodeVerified, missingArtifact } from '../../src/registry/artifact-storage.ts';
import { EncryptedCodec } from '../../src/registry/encrypted-codec.ts';

const ring = (key = generateMasterKey()) => new MasterKeyring(key, [], 'env', null);

async function encrypted(codec: EncryptedCodec, tenantId: string, plain: Buffer): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of codec.encode(tenantId, (async function* () {
    yield plain;
  })())) parts.push(part);
  return Buffer.concat(parts);
}

/** The error decodeVerified raises for these stored bytes (it must raise one). */
async function refusal(codec: EncryptedCodec, tenantId: string, sha256: string, stored: Buffer): Promise<unknown> {
  try {
    await decodeVerified(codec, tenantId, sha256, stored, 'champion model "failure" version 2', '/data/artifacts/x');
  } catch (error) {
    return error;
  }
  assert.fail('the stored bytes were accepted');
}

describe('integrityFailure', () => {
  const plain = Buffer.from(JSON.stringify({ model: 'gbdt', trees: [1, 2, 3] }));
  const sha256 = createHash('sha256').update(plain).digest('hex');
  const codec = new EncryptedCodec(ring());

  test('a flipped byte, another tenant, a wrong master key, an unexpected hash: each is an integrity failure with its reason', async () => {
    const stored = await encrypted(codec, 'acme', plain);
    const flipped = Buffer.from(stored);
    flipped[flipped.length - 20] = flipped[flipped.length - 20]! ^ 0x01;
    assert.equal(integrityFailure(await refusal(codec, 'acme', sha256, flipped))?.reason, 'tampered');
    assert.equal(integrityFailure(await refusal(codec, 'globex', sha256, stored))?.reason, 'tampered', 'the tenant is authenticated: another tenant fails like a modified byte');
    assert.equal(integrityFailure(await refusal(new EncryptedCodec(ring()), 'acme', sha256, stored))?.reason, 'wrong-key');
    const other = createHash('sha256').update('another artifact').digest('hex');
    assert.equal(integrityFailure(await refusal(codec, 'acme', other, stored))?.reason, 'moved');
    // Plaintext from before encryption whose bytes are not the registered ones.
    const hashMismatch = integrityFailure(await refusal(codec, 'acme', other, plain));
    assert.equal(hashMismatch?.reason, 'hash-mismatch');
    assert.match(hashMismatch!.message, /has sha256 .*, expected/);
  });

  test('other load failures are not about integrity', () => {
    assert.equal(integrityFailure(new NsError('NS_NOT_FOUND', 'model "failure" of tenant "acme" has no champion')), null);
    assert.equal(integrityFailure(missingArtifact('champion model "failure" version 2', '/data/artifacts/x', sha256)), null);
    assert.equal(integrityFailure(new NsError('NS_CONFLICT', 'champion cannot be served: unsupported model kind')), null);
    assert.equal(integrityFailure(new Error('EACCES')), null);
    assert.equal(integrityFailure(undefined), null);
  });
});
