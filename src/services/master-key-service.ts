/** The master key's operations for the CLI (and later the API): rotation, recorded in the audit log. */
import { rotateMasterKey, type RotateMasterResult } from '../registry/rotate-master.ts';
import type { ArtifactStorageSettings } from '../registry/create-artifact-storage.ts';
import type { Db } from '../store/db.ts';
import type { AuditRecorder } from './audit-service.ts';

export class MasterKeyService {
  constructor(private readonly deps: { db: Db; settings: ArtifactStorageSettings; audit: AuditRecorder }) {}

  /** A new master key (key file) or the one NIGHTSHIFT_MASTER_KEY names now, and every artifact re-encrypted under it. */
  rotate(options: { forgetPrevious?: boolean } = {}): Promise<RotateMasterResult> {
    return rotateMasterKey({ ...this.deps, ...options });
  }
}
