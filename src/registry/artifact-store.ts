/**
 * Content-addressed artifact files: `<dataDir>/artifacts/<tenant>/<sha256[0:2]>/<sha256>`, where the
 * hash is of the plaintext artifact. A write streams into a hidden temp file in the tenant's
 * directory (same file system), fsyncs it, and is only made visible by an atomic rename followed by
 * an fsync of the directory; a crash leaves at most a temp file, which a sweep removes. Every read
 * is verified against the expected hash.
 *
 * The codec is the seam for per-tenant encryption: it turns plaintext chunks into stored bytes and
 * back. The default stores the plaintext.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NsError } from '../errors.ts';

export interface ArtifactCodec {
  readonly name: string;
  /** Plaintext chunks → the bytes written to disk. */
  encode(tenantId: string, plain: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array>;
  /** The bytes read from disk → the plaintext (throws when they cannot be decoded). */
  decode(tenantId: string, stored: Buffer): Buffer | Promise<Buffer>;
}

export const identityCodec: ArtifactCodec = Object.freeze({
  name: 'identity',
  encode: (_tenantId: string, plain: AsyncIterable<Uint8Array>) => plain,
  decode: (_tenantId: string, stored: Buffer) => stored,
});

/** An artifact as one buffer, or streamed in chunks (large or slowly produced artifacts). */
export type ArtifactContent = Uint8Array | AsyncIterable<Uint8Array>;

/** Written and fsynced, not yet visible under its hash. */
export interface StagedArtifact {
  readonly tenantId: string;
  readonly sha256: string;
  /** Plaintext bytes. */
  readonly size: number;
  readonly tempPath: string;
}

export interface ArtifactFile {
  tenantId: string;
  kind: 'temp' | 'artifact';
  /** For kind 'artifact'. */
  sha256: string | null;
  path: string;
  mtimeMs: number;
}

export const TEMP_PREFIX = '.tmp-';
const SHA256 = /^[0-9a-f]{64}$/;
const TENANT_DIR = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export class ArtifactStore {
  readonly root: string;

  constructor(
    dataDir: string,
    readonly codec: ArtifactCodec = identityCodec,
  ) {
    this.root = join(resolve(dataDir), 'artifacts');
  }

  tenantDir(tenantId: string): string {
    if (!TENANT_DIR.test(tenantId)) throw new NsError('NS_VALIDATION', `"${tenantId}" is not a valid tenant id`, { field: 'tenantId' });
    return join(this.root, tenantId);
  }

  pathOf(tenantId: string, sha256: string): string {
    if (!SHA256.test(sha256)) throw new NsError('NS_VALIDATION', `"${sha256}" is not a sha256 hex digest`, { field: 'sha256' });
    return join(this.tenantDir(tenantId), sha256.slice(0, 2), sha256);
  }

  /** Streams the content into a temp file, hashing the plaintext; fsyncs before returning. */
  async stage(tenantId: string, content: ArtifactContent): Promise<StagedArtifact> {
    const dir = this.tenantDir(tenantId);
    await mkdir(dir, { recursive: true });
    const tempPath = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    async function* tap(chunks: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.byteLength;
        yield chunk;
      }
    }
    const file = await open(tempPath, 'wx', 0o600);
    try {
      for await (const chunk of this.codec.encode(tenantId, tap(asChunks(content)))) await file.write(chunk);
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
      throw error;
    }
    await file.close();
    return { tenantId, sha256: hash.digest('hex'), size, tempPath };
  }

  /** Makes a staged artifact visible under its hash: atomic rename, then fsync of both directories. */
  async place(staged: StagedArtifact): Promise<string> {
    const target = this.pathOf(staged.tenantId, staged.sha256);
    const dir = join(this.tenantDir(staged.tenantId), staged.sha256.slice(0, 2));
    await mkdir(dir, { recursive: true });
    await rename(staged.tempPath, target);
    await syncDir(dir);
    await syncDir(this.tenantDir(staged.tenantId));
    return target;
  }

  async discard(staged: StagedArtifact): Promise<void> {
    await unlink(staged.tempPath).catch(() => undefined);
  }

  /**
   * Reads and verifies an artifact. A missing file, bytes the codec cannot decode or a hash that
   * differs are NS_STORE errors naming `what` (the version) and the file.
   */
  async read(tenantId: string, sha256: string, what: string): Promise<Buffer> {
    const path = this.pathOf(tenantId, sha256);
    let stored: Buffer;
    try {
      stored = await readFile(path);
    } catch (cause) {
      const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
      throw new NsError('NS_STORE', `artifact of ${what} ${missing ? 'is missing' : 'cannot be read'}: ${path}${missing ? '' : ` (${(cause as Error).message})`}`, {
        cause,
        details: { path, sha256 },
      });
    }
    let plain: Buffer;
    try {
      plain = await this.codec.decode(tenantId, stored);
    } catch (cause) {
      throw new NsError('NS_STORE', `artifact of ${what} is corrupted: ${path} cannot be decoded (${(cause as Error).message}); refusing to load it`, {
        cause,
        details: { path, sha256 },
      });
    }
    const actual = createHash('sha256').update(plain).digest('hex');
    if (actual !== sha256) {
      throw new NsError('NS_STORE', `artifact of ${what} is corrupted: ${path} has sha256 ${actual}, expected ${sha256}; refusing to load it`, {
        details: { path, expected: sha256, actual },
      });
    }
    return plain;
  }

  /** Deletes the file of an artifact; false when it was not there. */
  async remove(tenantId: string, sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(tenantId, sha256));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async removeTemp(path: string): Promise<boolean> {
    return unlink(path).then(
      () => true,
      () => false,
    );
  }

  /** Every artifact and temp file on disk, tenant by tenant. */
  async *scan(): AsyncIterable<ArtifactFile> {
    for (const tenantId of await listDir(this.root)) {
      if (!TENANT_DIR.test(tenantId)) continue;
      const tenantDir = join(this.root, tenantId);
      for (const entry of await listDir(tenantDir)) {
        const path = join(tenantDir, entry);
        if (entry.startsWith(TEMP_PREFIX)) {
          const mtimeMs = await mtimeOf(path);
          if (mtimeMs !== null) yield { tenantId, kind: 'temp', sha256: null, path, mtimeMs };
          continue;
        }
        if (!/^[0-9a-f]{2}$/.test(entry)) continue;
        for (const name of await listDir(path)) {
          if (!SHA256.test(name) || !name.startsWith(entry)) continue;
          const file = join(path, name);
          const mtimeMs = await mtimeOf(file);
          if (mtimeMs !== null) yield { tenantId, kind: 'artifact', sha256: name, path: file, mtimeMs };
        }
      }
    }
  }
}

async function* asChunks(content: ArtifactContent): AsyncIterable<Uint8Array> {
  if (content instanceof Uint8Array) yield content;
  else yield* content;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw error;
  }
}

async function mtimeOf(path: string): Promise<number | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.mtimeMs : null;
  } catch {
    return null;
  }
}
