/**
 * Artifacts in the PostgreSQL store (NIGHTSHIFT_ARTIFACTS=postgres, the default with DATABASE_URL):
 * every node reads every version's artifact from the database, none depends on its local files.
 *
 * `stage` runs the content through the codec into memory, hashing the plaintext, in rows of 1 MiB;
 * `place` inserts the `artifacts` row and its chunks in the caller's transaction, the one that
 * inserts the version, so a crash or a failure anywhere in it leaves neither the version nor the
 * artifact. Nothing is written before that transaction, so there are no temp items to sweep.
 *
 * Limit: an artifact is held in memory while staged and while read (the registry hands out one
 * Buffer), so its stored size is capped at MAX_ARTIFACT_BYTES (1 GiB); larger models need file
 * storage. Rows are 1 MiB whatever the artifact's size, far below PostgreSQL's 1 GB per value.
 */
import { NsError } from '../errors.ts';
import { inTransaction, type Db, type Executor } from '../store/db.ts';
import { lockArtifact } from '../store/model-versions.ts';
import { deleteArtifact, deleteArtifactChunks, updateArtifactEncoding, deleteTenantArtifacts, getArtifactRow, insertArtifact, insertArtifactChunk, listArtifactRows, readArtifactChunks } from '../store/artifacts.ts';
import {
  checkSha256,
  checkTenant,
  decodeVerified,
  encodeContent,
  identityCodec,
  missingArtifact,
  type ArtifactCodec,
  type ArtifactContent,
  type ArtifactStorage,
  type StagedArtifact,
  type StoredArtifact,
} from './artifact-storage.ts';

export const CHUNK_BYTES = 1024 * 1024;
export const MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024;
/** Chunks fetched per statement on read (8 MiB). */
const READ_BATCH = 8;
const LIST_PAGE = 1000;

/** Encoded and in memory, in chunks of CHUNK_BYTES (the last one shorter). */
export interface StagedRows extends StagedArtifact {
  readonly chunks: readonly Buffer[];
  readonly storedSize: number;
}

export class PostgresArtifactStorage implements ArtifactStorage {
  readonly kind = 'postgres' as const;
  readonly transactional = true;
  readonly #db: Db;

  constructor(
    db: Db,
    readonly codec: ArtifactCodec = identityCodec,
  ) {
    if (db.dialect !== 'postgres') {
      throw new NsError('NS_CONFIG_INVALID', 'NIGHTSHIFT_ARTIFACTS="postgres": artifacts stored in the database need a PostgreSQL store; set DATABASE_URL, or use NIGHTSHIFT_ARTIFACTS=file', {
        field: 'NIGHTSHIFT_ARTIFACTS',
      });
    }
    this.#db = db;
  }

  locationOf(tenantId: string, sha256: string): string {
    return `table artifacts (tenant "${tenantId}", sha256 ${sha256})`;
  }

  async stage(tenantId: string, content: ArtifactContent): Promise<StagedRows> {
    checkTenant(tenantId);
    const chunks: Buffer[] = [];
    let current = Buffer.allocUnsafe(CHUNK_BYTES);
    let used = 0;
    let storedSize = 0;
    const digest = await encodeContent(this.codec, tenantId, content, (stored) => {
      storedSize += stored.byteLength;
      if (storedSize > MAX_ARTIFACT_BYTES) {
        throw new NsError('NS_VALIDATION', `artifact: larger than ${MAX_ARTIFACT_BYTES} bytes, the limit of artifacts stored in PostgreSQL; use NIGHTSHIFT_ARTIFACTS=file for models this large`, {
          field: 'artifact',
        });
      }
      let offset = 0;
      while (offset < stored.byteLength) {
        const n = Math.min(CHUNK_BYTES - used, stored.byteLength - offset);
        current.set(stored.subarray(offset, offset + n), used);
        used += n;
        offset += n;
        if (used === CHUNK_BYTES) {
          chunks.push(current);
          current = Buffer.allocUnsafe(CHUNK_BYTES);
          used = 0;
        }
      }
    });
    if (used > 0 || chunks.length === 0) chunks.push(Buffer.from(current.subarray(0, used)));
    return { tenantId, ...digest, chunks, storedSize };
  }

  /** Inserts the row and its chunks in `tx`; content already stored under the hash is kept. */
  async place(tx: Executor, staged: StagedArtifact, now: number): Promise<void> {
    const rows = rowsOf(staged);
    if (await getArtifactRow(tx, rows.tenantId, rows.sha256)) return;
    await insertArtifact(tx, {
      tenant_id: rows.tenantId,
      sha256: rows.sha256,
      size: rows.size,
      stored_size: rows.storedSize,
      chunk_count: rows.chunks.length,
      codec: this.codec.name,
      created_at: now,
    });
    for (const [seq, bytes] of rows.chunks.entries()) await insertArtifactChunk(tx, { tenant_id: rows.tenantId, sha256: rows.sha256, seq, bytes });
  }

  async discard(_staged: StagedArtifact): Promise<void> {
    // Only in memory: nothing to remove.
  }

  async read(tenantId: string, sha256: string, what: string): Promise<Buffer> {
    const stored = await this.#readStored(this.#db.k, tenantId, sha256, what);
    return decodeVerified(this.codec, tenantId, sha256, stored, what, this.locationOf(tenantId, sha256));
  }

  /** Rewrites the row and its chunks in one transaction, under the artifact's lock, when not under the current key. */
  async reencode(tenantId: string, sha256: string, what: string): Promise<'rewritten' | 'current' | 'missing'> {
    checkTenant(tenantId);
    checkSha256(sha256);
    return inTransaction(this.#db, async (tx) => {
      await lockArtifact(tx, this.#db.dialect, tenantId, sha256);
      if (!(await getArtifactRow(tx, tenantId, sha256))) return 'missing';
      const stored = await this.#readStored(tx, tenantId, sha256, what);
      if (this.codec.isCurrent(stored)) return 'current';
      const plain = await decodeVerified(this.codec, tenantId, sha256, stored, what, this.locationOf(tenantId, sha256));
      const staged = await this.stage(tenantId, plain);
      await deleteArtifactChunks(tx, tenantId, sha256);
      await updateArtifactEncoding(tx, tenantId, sha256, { stored_size: staged.storedSize, chunk_count: staged.chunks.length, codec: this.codec.name });
      for (const [seq, bytes] of staged.chunks.entries()) await insertArtifactChunk(tx, { tenant_id: tenantId, sha256, seq, bytes });
      return 'rewritten';
    });
  }

  async #readStored(x: Executor, tenantId: string, sha256: string, what: string): Promise<Buffer> {
    const location = this.locationOf(checkTenant(tenantId), checkSha256(sha256));
    const head = await getArtifactRow(x, tenantId, sha256);
    if (!head) {
      throw missingArtifact(what, `no row in ${location}`, sha256, {
        hint: 'artifacts written as files (NIGHTSHIFT_ARTIFACTS=file) are copied into PostgreSQL by `nightshift artifacts migrate`',
      });
    }
    if (!this.codec.reads(head.codec)) {
      throw new NsError('NS_STORE', `artifact of ${what} was stored with codec "${head.codec}" but this node reads with "${this.codec.name}": ${location}`, {
        details: { location, sha256, codec: head.codec },
      });
    }
    const count = Number(head.chunk_count);
    const parts: Buffer[] = [];
    while (parts.length < count) {
      const batch = await readArtifactChunks(x, tenantId, sha256, { fromSeq: parts.length, limit: Math.min(READ_BATCH, count - parts.length) });
      for (const chunk of batch) {
        if (Number(chunk.seq) !== parts.length) break;
        parts.push(chunk.bytes);
      }
      if (batch.length === 0 || Number(batch.at(-1)?.seq) !== parts.length - 1) {
        throw new NsError('NS_STORE', `artifact of ${what} is corrupted: ${location} lacks chunk ${parts.length} of ${count}; refusing to load it`, {
          details: { location, sha256, chunks: count, missingChunk: parts.length },
        });
      }
    }
    const stored = Buffer.concat(parts);
    if (stored.byteLength !== Number(head.stored_size)) {
      throw new NsError('NS_STORE', `artifact of ${what} is corrupted: ${location} holds ${stored.byteLength} bytes, expected ${Number(head.stored_size)}; refusing to load it`, {
        details: { location, sha256 },
      });
    }
    return stored;
  }

  async has(tenantId: string, sha256: string): Promise<boolean> {
    return (await getArtifactRow(this.#db.k, checkTenant(tenantId), checkSha256(sha256))) !== undefined;
  }

  async remove(x: Executor, tenantId: string, sha256: string): Promise<boolean> {
    return deleteArtifact(x, checkTenant(tenantId), checkSha256(sha256));
  }

  async removeTenant(x: Executor, tenantId: string): Promise<number> {
    return deleteTenantArtifacts(x, checkTenant(tenantId));
  }

  async removeTemp(_item: StoredArtifact): Promise<boolean> {
    return false;
  }

  async *list(): AsyncIterable<StoredArtifact> {
    let after: { tenantId: string; sha256: string } | null = null;
    for (;;) {
      const rows = await listArtifactRows(this.#db.k, { after, limit: LIST_PAGE });
      for (const r of rows) {
        yield { tenantId: r.tenant_id, kind: 'artifact', sha256: r.sha256, location: this.locationOf(r.tenant_id, r.sha256), writtenAt: Number(r.created_at) };
      }
      const last = rows.at(-1);
      if (!last || rows.length < LIST_PAGE) return;
      after = { tenantId: last.tenant_id, sha256: last.sha256 };
    }
  }
}

function rowsOf(staged: StagedArtifact): StagedRows {
  if (!Array.isArray((staged as Partial<StagedRows>).chunks)) throw new NsError('NS_INTERNAL', `artifact ${staged.sha256} was not staged by the PostgreSQL storage`);
  return staged as StagedRows;
}
