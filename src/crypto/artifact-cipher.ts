/**
 * Artifacts at rest: AES-256-GCM in segments (the shape of Tink's streaming AEAD), so an artifact
 * is encrypted as it streams in without holding it whole.
 *
 *   header  = MAGIC(8) | format(1) | master key id(8) | salt(16)
 *   key     = HKDF(tenant's artifact key, salt): a fresh key per artifact, so counters as nonces never repeat
 *   segment = AES-GCM(64 KiB of plaintext), nonce = 0(7) | counter(4) | last(1), tag(16)
 *   trailer = the last segment (last = 1): the sha256 of the plaintext
 *   AAD     = header | tenant id, on every segment
 *
 * So a flipped byte, a dropped, reordered or truncated segment, an artifact moved to another tenant
 * (AAD, and the tenant's own key) or copied under another artifact's hash (the trailer, and the
 * hash a version names) all fail to decode, each with its own message, never as a wrong model.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { KEY_ID_BYTES, type MasterKey } from './master-key.ts';

/** Like PNG's: a high byte and line endings, so no JSON or ONNX file starts with it. */
export const MAGIC = Buffer.from([0x89, 0x4e, 0x53, 0x41, 0x45, 0x0d, 0x0a, 0x1a]);
export const FORMAT = 1;
const SALT_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES + SALT_BYTES;
export const SEGMENT_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const TRAILER_BYTES = 32 + TAG_BYTES;
const FILE_KEY_INFO = Buffer.from('nightshift/artifact-file/v1');

export type CipherFailure = 'wrong-key' | 'tampered' | 'moved';

/** Why stored bytes did not decode; the artifact storage wraps it in NS_STORE naming the artifact. */
export class ArtifactCipherError extends Error {
  constructor(
    readonly reason: CipherFailure,
    message: string,
    readonly keyId: string | null = null,
  ) {
    super(message);
    this.name = 'ArtifactCipherError';
  }
}

export const isEncrypted = (stored: Uint8Array): boolean => stored.length >= MAGIC.length && MAGIC.equals(stored.subarray(0, MAGIC.length));

/** The master key id an encrypted artifact was written with (null for plaintext). */
export function keyIdOf(stored: Uint8Array): string | null {
  if (!isEncrypted(stored) || stored.length < HEADER_BYTES) return null;
  return Buffer.from(stored.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES)).toString('hex');
}

function nonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  n.writeUInt32BE(counter, 7);
  n[11] = last ? 1 : 0;
  return n;
}

function aadOf(header: Buffer, tenantId: string): Buffer {
  return Buffer.concat([header, Buffer.from(tenantId, 'utf8')]);
}

const fileKey = (tenantKey: Buffer, salt: Buffer): Buffer => Buffer.from(hkdfSync('sha256', tenantKey, salt, FILE_KEY_INFO, 32));

function seal(key: Buffer, counter: number, last: boolean, aad: Buffer, plain: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonce(counter, last));
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([body, c.getAuthTag()]);
}

/** Encrypts the plaintext as it streams in, segment by segment; the trailer carries its sha256. */
export async function* encryptArtifact(master: MasterKey, tenantKey: Buffer, tenantId: string, plain: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const salt = randomBytes(SALT_BYTES);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT]), Buffer.from(master.id, 'hex'), salt]);
  const key = fileKey(tenantKey, salt);
  const aad = aadOf(header, tenantId);
  const hash = createHash('sha256');
  yield header;
  let pending = Buffer.alloc(0);
  let counter = 0;
  for await (const chunk of plain) {
    hash.update(chunk);
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    while (pending.length >= SEGMENT_BYTES) {
      yield seal(key, counter++, false, aad, pending.subarray(0, SEGMENT_BYTES));
      pending = pending.subarray(SEGMENT_BYTES);
    }
  }
  if (pending.length > 0) yield seal(key, counter++, false, aad, pending);
  yield seal(key, counter, true, aad, hash.digest());
}

/**
 * The plaintext of an encrypted artifact. `findKey` resolves the header's master key id;
 * `tenantKeyOf` derives the tenant's artifact key under it. `sha256`: the hash the caller expects
 * (the version's), checked against the authenticated trailer.
 */
export function decryptArtifact(
  stored: Buffer,
  tenantId: string,
  sha256: string,
  findKey: (id: string) => MasterKey | null,
  tenantKeyOf: (master: MasterKey) => Buffer,
  knownIds: () => string[],
): Buffer {
  if (stored.length < HEADER_BYTES + TRAILER_BYTES || stored[MAGIC.length] !== FORMAT) {
    throw new ArtifactCipherError('tampered', `its encryption header is damaged or truncated (${stored.length} bytes)`);
  }
  const header = stored.subarray(0, HEADER_BYTES);
  const keyId = header.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES).toString('hex');
  const master = findKey(keyId);
  if (!master) {
    throw new ArtifactCipherError(
      'wrong-key',
      `it was encrypted with master key ${keyId}, which this process does not have (it has ${knownIds().join(', ')}); set NIGHTSHIFT_MASTER_KEY (or the data dir's master.key) to the key it was written with`,
      keyId,
    );
  }
  const key = fileKey(tenantKeyOf(master), header.subarray(MAGIC.length + 1 + KEY_ID_BYTES));
  const aad = aadOf(header, tenantId);
  const body = stored.subarray(HEADER_BYTES, stored.length - TRAILER_BYTES);
  const parts: Buffer[] = [];
  let counter = 0;
  for (let at = 0; at < body.length; at += SEGMENT_BYTES + TAG_BYTES) {
    const segment = body.subarray(at, Math.min(body.length, at + SEGMENT_BYTES + TAG_BYTES));
    if (segment.length <= TAG_BYTES) throw new ArtifactCipherError('tampered', `segment ${counter} is truncated`, keyId);
    parts.push(open(key, counter++, false, aad, segment, tenantId, keyId));
  }
  const trailer = open(key, counter, true, aad, stored.subarray(stored.length - TRAILER_BYTES), tenantId, keyId).toString('hex');
  if (trailer !== sha256) {
    throw new ArtifactCipherError('moved', `it holds the artifact ${trailer}, not ${sha256}: it was copied or moved from another artifact's place`, keyId);
  }
  return Buffer.concat(parts);
}

function open(key: Buffer, counter: number, last: boolean, aad: Buffer, segment: Buffer, tenantId: string, keyId: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, nonce(counter, last));
  d.setAAD(aad);
  d.setAuthTag(segment.subarray(segment.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(segment.subarray(0, segment.length - TAG_BYTES)), d.final()]);
  } catch {
    throw new ArtifactCipherError(
      'tampered',
      `${last ? 'its trailer' : `segment ${counter}`} fails authentication: the bytes were modified, truncated or reordered, or the artifact belongs to another tenant than "${tenantId}"`,
      keyId,
    );
  }
}
