/**
 * Stores an artifact on its own, outside a registration: stage, then place in a transaction of its
 * own under the artifact's lock. For copying artifacts of existing versions (`artifacts migrate`)
 * and for tests; a registration places its artifact in the version's transaction instead. An
 * artifact no version references is removed by the next sweep once older than its cutoff.
 */
import { inTransaction, type Db } from '../store/db.ts';
import { lockArtifact } from '../store/model-versions.ts';
import type { ArtifactContent, ArtifactStorage } from './artifact-storage.ts';

export async function putArtifact(
  db: Db,
  storage: ArtifactStorage,
  tenantId: string,
  content: ArtifactContent,
  now: number,
): Promise<{ sha256: string; size: number }> {
  const staged = await storage.stage(tenantId, content);
  let placed = false;
  try {
    await inTransaction(db, async (tx) => {
      await lockArtifact(tx, db.dialect, tenantId, staged.sha256);
      await storage.place(tx, staged, now);
      placed = true;
    });
  } catch (error) {
    // A file placed before a failed commit stays visible, as an unreferenced artifact the sweep removes.
    if (!placed || storage.transactional) await storage.discard(staged);
    throw error;
  }
  return { sha256: staged.sha256, size: staged.size };
}
