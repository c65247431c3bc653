/**
 * Artifact files (NIGHTSHIFT_ARTIFACTS=file, the embedded default):
 * `<dataDir>/artifacts/<tenant>/<sha256[0:2]>/<sha256>`, where the hash is of the plaintext. A
 * write streams into a hidden temp file in the tenant's directory (same file system) and fsyncs it
 * (stage); it is only made visible by an atomic rename followed by an fsync of the directories
 * (place). A crash leaves at most a temp file, which a sweep removes. Every read is verified.
 *
 * A rename is not undone by rolling back the registering transaction: the registry collects a file
 * placed by a registration that failed afterwards (`transactional` is false).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NsError } from '../errors.ts';
import type { Executor } from '../store/db.ts';
import {
  checkSha256,
  checkTenant,
  decodeVerified,
  encodeContent,
  identityCodec,
  isSha256,
  isTenantId,
  missingArtifact,
  type ArtifactCodec,
  type ArtifactContent,
  type ArtifactStorage,
  type StagedArtifact,
  type StoredArtifact,
} from './artifact-storage.ts';

/** Written and fsynced into a temp file, not yet visible under its hash. */
export interface StagedFile extends StagedArtifact {
  readonly tempPath: string;
}

export const TEMP_PREFIX = '.tmp-';

export class FileArtifactStorage implements ArtifactStorage {
  readonly kind = 'file' as const;
  readonly transactional = false;
  readonly root: string;

  constructor(
    dataDir: string,
    readonly codec: ArtifactCodec = identityCodec,
  ) {
    this.root = join(resolve(dataDir), 'artifacts');
  }

  tenantDir(tenantId: string): string {
    return join(this.root, checkTenant(tenantId));
  }

  pathOf(tenantId: string, sha256: string): string {
    return join(this.tenantDir(tenantId), checkSha256(sha256).slice(0, 2), sha256);
  }

  locationOf(tenantId: string, sha256: string): string {
    return this.pathOf(tenantId, sha256);
  }

  /** Streams the content into a temp file, hashing the plaintext; fsyncs before returning. */
  async stage(tenantId: string, content: ArtifactContent): Promise<StagedFile> {
    const dir = this.tenantDir(tenantId);
    await mkdir(dir, { recursive: true });
    const tempPath = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
    const file = await open(tempPath, 'wx', 0o600);
    let digest: { sha256: string; size: number };
    try {
      digest = await encodeContent(this.codec, tenantId, content, async (chunk) => {
        await file.write(chunk);
      });
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(tempPath).catch(() => undefined);
      throw error;
    }
    await file.close();
    return { tenantId, ...digest, tempPath };
  }

  /** Atomic rename, then fsync of both directories. `tx` is not used: a file is not in the database. */
  async place(_tx: Executor, staged: StagedArtifact): Promise<void> {
    await this.placeFile(staged);
  }

  /** `place` outside a transaction: for tests that leave files as a crash would. */
  async placeFile(staged: StagedArtifact): Promise<string> {
    const { tempPath } = fileOf(staged);
    const target = this.pathOf(staged.tenantId, staged.sha256);
    const dir = join(this.tenantDir(staged.tenantId), staged.sha256.slice(0, 2));
    await mkdir(dir, { recursive: true });
    await rename(tempPath, target);
    await syncDir(dir);
    await syncDir(this.tenantDir(staged.tenantId));
    return target;
  }

  async discard(staged: StagedArtifact): Promise<void> {
    await unlink(fileOf(staged).tempPath).catch(() => undefined);
  }

  async read(tenantId: string, sha256: string, what: string): Promise<Buffer> {
    const path = this.pathOf(tenantId, sha256);
    let stored: Buffer;
    try {
      stored = await readFile(path);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw missingArtifact(what, path, sha256, { cause });
      throw new NsError('NS_STORE', `artifact of ${what} cannot be read: ${path} (${(cause as Error).message})`, { cause, details: { location: path, sha256 } });
    }
    return decodeVerified(this.codec, tenantId, sha256, stored, what, path);
  }

  /**
   * Writes the re-encoded artifact to a temp file and renames it over the old one (atomic, then
   * fsynced): a reader sees the old bytes or the new ones, both of which decode.
   */
  async reencode(tenantId: string, sha256: string, what: string): Promise<'rewritten' | 'current' | 'missing'> {
    const path = this.pathOf(tenantId, sha256);
    let stored: Buffer;
    try {
      stored = await readFile(path);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw cause;
    }
    if (this.codec.isCurrent(stored)) return 'current';
    const plain = await decodeVerified(this.codec, tenantId, sha256, stored, what, path);
    const staged = await this.stage(tenantId, plain);
    if (staged.sha256 !== sha256) throw new NsError('NS_INTERNAL', `re-encoding ${path} produced sha256 ${staged.sha256}`);
    await this.placeFile(staged);
    return 'rewritten';
  }

  async has(tenantId: string, sha256: string): Promise<boolean> {
    return (await mtimeOf(this.pathOf(tenantId, sha256))) !== null;
  }

  async remove(_x: Executor, tenantId: string, sha256: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(tenantId, sha256));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** The tenant's directory with everything in it. `x` is not used: files are not in the database. */
  async removeTenant(_x: Executor, tenantId: string): Promise<number> {
    const dir = this.tenantDir(tenantId);
    let artifacts = 0;
    for (const entry of await listDir(dir)) if (/^[0-9a-f]{2}$/.test(entry)) artifacts += (await listDir(join(dir, entry))).filter(isSha256).length;
    await rm(dir, { recursive: true, force: true });
    await syncDir(this.root).catch(() => undefined);
    return artifacts;
  }

  async removeTemp(item: StoredArtifact): Promise<boolean> {
    if (item.kind !== 'temp' || !item.location.startsWith(this.root)) return false;
    return unlink(item.location).then(
      () => true,
      () => false,
    );
  }

  /** Every artifact and temp file on disk, tenant by tenant. */
  async *list(): AsyncIterable<StoredArtifact> {
    for (const tenantId of await listDir(this.root)) {
      if (!isTenantId(tenantId)) continue;
      const tenantDir = join(this.root, tenantId);
      for (const entry of await listDir(tenantDir)) {
        const path = join(tenantDir, entry);
        if (entry.startsWith(TEMP_PREFIX)) {
          const writtenAt = await mtimeOf(path);
          if (writtenAt !== null) yield { tenantId, kind: 'temp', sha256: null, location: path, writtenAt };
          continue;
        }
        if (!/^[0-9a-f]{2}$/.test(entry)) continue;
        for (const name of await listDir(path)) {
          if (!isSha256(name) || !name.startsWith(entry)) continue;
          const file = join(path, name);
          const writtenAt = await mtimeOf(file);
          if (writtenAt !== null) yield { tenantId, kind: 'artifact', sha256: name, location: file, writtenAt };
        }
      }
    }
  }
}

function fileOf(staged: StagedArtifact): StagedFile {
  const tempPath = (staged as Partial<StagedFile>).tempPath;
  if (typeof tempPath !== 'string') throw new NsError('NS_INTERNAL', `artifact ${staged.sha256} was not staged by the file storage`);
  return staged as StagedFile;
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
