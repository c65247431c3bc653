/**
 * Removing what is no longer needed: versions beyond retention, artifacts no version references,
 * temp files of interrupted writes.
 *
 * An artifact is deleted only inside a transaction holding its (tenant, hash) lock, after checking
 * that no version references it; registration places the artifact and inserts its version under the
 * same lock. So an artifact is never deleted under a version that is being registered with the same
 * content, whatever the timing. (With PostgreSQL storage the delete also commits with that check.)
 */
import { inTransaction, type Db } from '../store/db.ts';
import { deleteModelProfiles } from '../store/model-profiles.ts';
import {
  deleteModelVersions,
  lockArtifact,
  lockModel,
  referencedArtifacts,
  versionsBeyondRetention,
} from '../store/model-versions.ts';
import type { ArtifactStorage, StoredArtifact } from './artifact-storage.ts';
import type { RetentionResult, SweepResult } from './types.ts';

const CHUNK = 500;

/** Deletes the artifacts of these hashes that no version of the tenant references; returns how many. */
export async function collectArtifacts(db: Db, store: ArtifactStorage, tenantId: string, sha256s: Iterable<string>): Promise<number> {
  let removed = 0;
  for (const sha256 of new Set(sha256s)) {
    const gone = await inTransaction(db, async (tx) => {
      await lockArtifact(tx, db.dialect, tenantId, sha256);
      const refs = await referencedArtifacts(tx, tenantId, [sha256]);
      return refs.has(sha256) ? false : store.remove(tx, tenantId, sha256);
    });
    if (gone) removed += 1;
  }
  return removed;
}

/**
 * Keeps the newest `keep` versions, the current champion and the `keepChampions` versions that
 * were champion most recently before it (so a rollback reaches that far back); deletes the others,
 * then their artifacts where no other version (of any model of the tenant) shares the hash. A crash
 * between the two leaves unreferenced artifacts, which sweepArtifacts removes. So a model keeps at
 * most keep + keepChampions + 1 versions, however long it retrains.
 */
export async function applyRetention(db: Db, store: ArtifactStorage, tenantId: string, modelName: string, keep: number, keepChampions: number): Promise<RetentionResult> {
  const doomed = await inTransaction(db, async (tx) => {
    if ((await lockModel(tx, db.dialect, tenantId, modelName)) === undefined) return [];
    const rows = await versionsBeyondRetention(tx, tenantId, modelName, keep, keepChampions);
    await deleteModelVersions(tx, tenantId, modelName, rows.map((r) => Number(r.version)));
    await deleteModelProfiles(tx, tenantId, modelName, rows.map((r) => Number(r.version)));
    return rows;
  });
  const artifactsRemoved = await collectArtifacts(db, store, tenantId, doomed.map((r) => r.artifact_sha256));
  return { deleted: doomed.map((r) => Number(r.version)), artifactsRemoved };
}

/**
 * Removes temp files (interrupted writes) and unreferenced artifacts last written before `cutoff`.
 * A temp file younger than the cutoff may belong to a write in progress: keep the cutoff well above
 * the longest artifact write (the default is an hour).
 */
export async function sweepArtifacts(db: Db, store: ArtifactStorage, cutoff: number): Promise<SweepResult> {
  const result: SweepResult = { tempFiles: 0, unreferenced: 0 };
  const candidates = new Map<string, string[]>();
  for await (const file of store.list()) {
    if (file.writtenAt >= cutoff) continue;
    if (file.kind === 'temp') {
      if (await store.removeTemp(file)) result.tempFiles += 1;
    } else {
      pushCandidate(candidates, file);
    }
  }
  for (const [tenantId, sha256s] of candidates) {
    for (let i = 0; i < sha256s.length; i += CHUNK) {
      const chunk = sha256s.slice(i, i + CHUNK);
      const refs = await referencedArtifacts(db.k, tenantId, chunk);
      result.unreferenced += await collectArtifacts(db, store, tenantId, chunk.filter((s) => !refs.has(s)));
    }
  }
  return result;
}

function pushCandidate(candidates: Map<string, string[]>, file: StoredArtifact): void {
  if (file.sha256 === null) return;
  const list = candidates.get(file.tenantId) ?? [];
  list.push(file.sha256);
  candidates.set(file.tenantId, list);
}
