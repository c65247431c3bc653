/**
 * `nightshift artifacts migrate`: copies the artifact files of a data dir into PostgreSQL, for a
 * store that switches from file to postgres artifact storage. Every artifact some version references
 * is read from its file (verified against its hash), stored as rows, and read back from the database
 * (verified again) before it counts as copied — and before its file is deleted, with `deleteFiles`.
 * Artifacts already in the database are left as they are, so running it again is harmless.
 *
 * A referenced artifact whose file is missing or corrupted is reported with the versions that use
 * it, and the others are still copied.
 */
import { systemClock, type Clock } from '../clock.ts';
import { isNsError, NsError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { listReferencedArtifacts, versionNamesOfArtifact } from '../store/model-versions.ts';
import type { ArtifactCodec } from './artifact-storage.ts';
import { artifactCodec } from './artifact-codec.ts';
import { FileArtifactStorage } from './file-artifact-storage.ts';
import { PostgresArtifactStorage } from './postgres-artifact-storage.ts';
import { putArtifact } from './put-artifact.ts';

export interface MigrateArtifactsOptions {
  /** The PostgreSQL store the versions are in. */
  db: Db;
  /** The data dir holding `artifacts/`. */
  dataDir: string;
  /** Default: the data dir's (encrypted under NIGHTSHIFT_MASTER_KEY or its key file). */
  codec?: ArtifactCodec;
  /** Delete each file once its copy in the database is verified. */
  deleteFiles?: boolean;
  clock?: Clock;
}

export interface ArtifactProblem {
  tenantId: string;
  sha256: string;
  problem: 'missing' | 'corrupted';
  /** The versions that reference it (at most 5 named). */
  versions: string[];
  message: string;
}

export interface MigrateArtifactsResult {
  /** Distinct (tenant, artifact) pairs referenced by versions. */
  referenced: number;
  copied: number;
  /** Already in the database (an earlier run, or registered with postgres storage). */
  alreadyStored: number;
  filesDeleted: number;
  problems: ArtifactProblem[];
}

const PAGE = 500;
const NAMED_VERSIONS = 5;

export async function migrateArtifacts(options: MigrateArtifactsOptions): Promise<MigrateArtifactsResult> {
  const { db, deleteFiles = false } = options;
  if (db.dialect !== 'postgres') {
    throw new NsError('NS_CONFIG_INVALID', 'DATABASE_URL: artifacts migrate copies artifact files into PostgreSQL; set DATABASE_URL to the PostgreSQL store', {
      field: 'DATABASE_URL',
    });
  }
  const codec = options.codec ?? artifactCodec({ dataDir: options.dataDir }, { create: false });
  const clock = options.clock ?? systemClock;
  const files = new FileArtifactStorage(options.dataDir, codec);
  const rows = new PostgresArtifactStorage(db, codec);
  const result: MigrateArtifactsResult = { referenced: 0, copied: 0, alreadyStored: 0, filesDeleted: 0, problems: [] };

  let after: { tenantId: string; sha256: string } | null = null;
  for (;;) {
    const page = await listReferencedArtifacts(db.k, { after, limit: PAGE });
    for (const { tenant_id: tenantId, artifact_sha256: sha256 } of page) {
      result.referenced += 1;
      const versions = await versionNamesOfArtifact(db.k, tenantId, sha256, NAMED_VERSIONS);
      const what = `${versions.join(', ')} (tenant "${tenantId}")`;
      const stored = await rows.has(tenantId, sha256);
      if (!stored && !(await files.has(tenantId, sha256))) {
        result.problems.push({ tenantId, sha256, problem: 'missing', versions, message: `artifact of ${what} is missing: ${files.pathOf(tenantId, sha256)}` });
        continue;
      }
      try {
        if (stored) {
          result.alreadyStored += 1;
        } else {
          const plain = await files.read(tenantId, sha256, what);
          await putArtifact(db, rows, tenantId, plain, clock.now());
          result.copied += 1;
        }
        if (deleteFiles && (await files.has(tenantId, sha256))) {
          // Only once the copy in the database reads back intact.
          await rows.read(tenantId, sha256, what);
          if (await files.remove(db.k, tenantId, sha256)) result.filesDeleted += 1;
        }
      } catch (error) {
        if (!isNsError(error) || error.code !== 'NS_STORE') throw error;
        result.problems.push({ tenantId, sha256, problem: /is missing/.test(error.message) ? 'missing' : 'corrupted', versions, message: error.message });
      }
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE) return result;
    after = { tenantId: last.tenant_id, sha256: last.artifact_sha256 };
  }
}
