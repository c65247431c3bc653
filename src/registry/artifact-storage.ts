/**
 * Where model artifacts live, behind one interface with two implementations: files under the data
 * dir (file-artifact-storage.ts, the embedded default) and rows in the PostgreSQL store
 * (postgres-artifact-storage.ts, the default with DATABASE_URL, so any node can serve any version).
 *
 * Artifacts are content-addressed per tenant by the sha256 of their plaintext. Writing has two
 * steps: `stage` takes the content in (streamed or one buffer), hashing it, without making it
 * visible; `place` makes it visible inside the transaction that inserts its version. Every read is
 * verified against the hash.
 *
 * The codec turns plaintext chunks into stored bytes and back, the same for both implementations:
 * per-tenant encryption (encrypted-codec.ts, what the service uses), or the plaintext (identity).
 */
import { createHash } from 'node:crypto';
import { NsError } from '../errors.ts';
import { ID_RULE } from '../ids.ts';
import type { Executor } from '../store/db.ts';

/** As in the settings (NIGHTSHIFT_ARTIFACTS). */
export type ArtifactStorageKind = 'file' | 'postgres';

/** Which artifact stored bytes are: its tenant and the sha256 of its plaintext. */
export interface ArtifactRef {
  tenantId: string;
  sha256: string;
}

export interface ArtifactCodec {
  /** Recorded with artifacts stored in PostgreSQL (their `codec` column). */
  readonly name: string;
  /** Plaintext chunks → the bytes stored. */
  encode(tenantId: string, plain: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
  /** The bytes stored → the plaintext (throws when they cannot be decoded). */
  decode(ref: ArtifactRef, stored: Buffer): Buffer | Promise<Buffer>;
  /** Whether this codec reads bytes a codec of this name stored (an encrypting codec reads older plaintext too). */
  reads(codecName: string): boolean;
  /** False when the stored bytes should be rewritten (plaintext, or a retired key): what a key rotation re-encrypts. */
  isCurrent(stored: Buffer): boolean;
}

export const identityCodec: ArtifactCodec = Object.freeze({
  name: 'identity',
  encode: (_tenantId: string, plain: AsyncIterable<Uint8Array>) => plain,
  decode: (_ref: ArtifactRef, stored: Buffer) => stored,
  reads: (codecName: string) => codecName === 'identity',
  isCurrent: () => true,
});

/** An artifact as one buffer, or streamed in chunks (large or slowly produced artifacts). */
export type ArtifactContent = Uint8Array | AsyncIterable<Uint8Array>;

/** Taken in and hashed, not yet visible under its hash. Each implementation adds what it needs. */
export interface StagedArtifact {
  readonly tenantId: string;
  /** Of the plaintext. */
  readonly sha256: string;
  /** Plaintext bytes. */
  readonly size: number;
}

/** One stored item, as enumerated for sweeping and retention. */
export interface StoredArtifact {
  tenantId: string;
  /** 'temp': an interrupted or in-progress write (files only). */
  kind: 'temp' | 'artifact';
  /** For kind 'artifact'. */
  sha256: string | null;
  /** Where it is, for messages and for removeTemp: a file path, or the table and key. */
  location: string;
  /** When it was last written (epoch ms). */
  writtenAt: number;
}

export interface ArtifactStorage {
  readonly kind: ArtifactStorageKind;
  readonly codec: ArtifactCodec;
  /**
   * Whether rolling back the transaction `place` ran in also undoes the placing. PostgreSQL: yes.
   * Files: no (a renamed file stays), so the registry collects a file placed by a failed registration.
   */
  readonly transactional: boolean;
  /** Takes the content in, hashing the plaintext; durable where the implementation needs it to be. */
  stage(tenantId: string, content: ArtifactContent): Promise<StagedArtifact>;
  /**
   * Makes a staged artifact visible under its hash, inside `tx` (the transaction inserting its
   * version), with the artifact's lock (lockArtifact) held. Content already there is kept as it is.
   */
  place(tx: Executor, staged: StagedArtifact, now: number): Promise<void>;
  /** Drops a staged artifact that will not be placed (or whose transaction rolled back). */
  discard(staged: StagedArtifact): Promise<void>;
  /**
   * The plaintext, verified against `sha256`. Missing, undecodable or different content is an
   * NS_STORE error naming `what` (the version) and where the artifact is.
   */
  read(tenantId: string, sha256: string, what: string): Promise<Buffer>;
  has(tenantId: string, sha256: string): Promise<boolean>;
  /** Deletes an artifact, inside `x` holding its lock after checking no version references it; false when it was not there. */
  remove(x: Executor, tenantId: string, sha256: string): Promise<boolean>;
  /**
   * Deletes every artifact (and temp item) of a tenant that is being deleted; returns how many
   * artifacts. Transactional storage deletes inside `x`; files are removed at once, so call it once
   * the tenant's rows are gone for good.
   */
  removeTenant(x: Executor, tenantId: string): Promise<number>;
  /** Every stored artifact and temp item, tenant by tenant. */
  list(): AsyncIterable<StoredArtifact>;
  removeTemp(item: StoredArtifact): Promise<boolean>;
  /** Where an artifact is (or would be), for messages. */
  locationOf(tenantId: string, sha256: string): string;
  /**
   * Re-encodes a stored artifact with the codec's current key when it is not (plaintext, or a
   * retired master key), verified and replaced atomically under its lock: what a master key
   * rotation does to every artifact. 'missing' when it is not there.
   */
  reencode(tenantId: string, sha256: string, what: string): Promise<'rewritten' | 'current' | 'missing'>;
}

const SHA256 = /^[0-9a-f]{64}$/;
const TENANT = new RegExp(ID_RULE);

export function checkTenant(tenantId: string): string {
  if (typeof tenantId !== 'string' || !TENANT.test(tenantId)) throw new NsError('NS_VALIDATION', `"${tenantId}" is not a valid tenant id`, { field: 'tenantId' });
  return tenantId;
}

export function checkSha256(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) throw new NsError('NS_VALIDATION', `"${sha256}" is not a sha256 hex digest`, { field: 'sha256' });
  return sha256;
}

export const isSha256 = (name: string): boolean => SHA256.test(name);
export const isTenantId = (name: string): boolean => TENANT.test(name);

/**
 * Feeds the content through the codec, hashing and counting the plaintext on the way. `sink`
 * receives the stored bytes; the digest is complete once the returned promise resolves.
 */
export async function encodeContent(
  codec: ArtifactCodec,
  tenantId: string,
  content: ArtifactContent,
  sink: (stored: Uint8Array) => Promise<void> | void,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  async function* tap(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }
  for await (const stored of codec.encode(tenantId, tap(asChunks(content)))) await sink(stored);
  return { sha256: hash.digest('hex'), size };
}

async function* asChunks(content: ArtifactContent): AsyncIterable<Uint8Array> {
  if (content instanceof Uint8Array) yield content;
  else yield* content;
}

/** Decodes stored bytes and checks the plaintext's hash: NS_STORE naming `what` and `location` otherwise. */
export async function decodeVerified(codec: ArtifactCodec, tenantId: string, sha256: string, stored: Buffer, what: string, location: string): Promise<Buffer> {
  let plain: Buffer;
  try {
    plain = await codec.decode({ tenantId, sha256 }, stored);
  } catch (cause) {
    const reason = (cause as { reason?: unknown }).reason;
    const problem = reason === 'wrong-key' ? 'cannot be decrypted with the keys this process has' : 'is corrupted';
    throw new NsError('NS_STORE', `artifact of ${what} ${problem}: ${location} cannot be decoded (${(cause as Error).message}); refusing to load it`, {
      cause,
      details: { location, sha256, reason: typeof reason === 'string' ? reason : 'undecodable' },
    });
  }
  const actual = createHash('sha256').update(plain).digest('hex');
  if (actual !== sha256) {
    throw new NsError('NS_STORE', `artifact of ${what} is corrupted: ${location} has sha256 ${actual}, expected ${sha256}; refusing to load it`, {
      details: { location, expected: sha256, actual },
    });
  }
  return plain;
}

export function missingArtifact(what: string, location: string, sha256: string, options: { cause?: unknown; hint?: string } = {}): NsError {
  const hint = options.hint === undefined ? '' : `; ${options.hint}`;
  return new NsError('NS_STORE', `artifact of ${what} is missing: ${location}${hint}`, { cause: options.cause, details: { location, sha256 } });
}
