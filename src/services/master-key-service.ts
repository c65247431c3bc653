/** The master key's operations for the CLI (and later the API): rotation, recorded in the audit log. */
import { SecretSealer } from '../crypto/sealer.ts';
import { resealChannelSecrets } from '../monitor/notify/reseal-channels.ts';
import { rotateMasterKey, type RotateMasterResult } from '../registry/rotate-master.ts';
import type { ArtifactStorageSettings } from '../registry/create-artifact-storage.ts';
import type { Db } from '../store/db.ts';
import type { AuditRecorder } from './audit-service.ts';

export class MasterKeyService {
  constructor(private readonly deps: { db: Db; settings: ArtifactStorageSettings; audit: AuditRecorder }) {}

  /**
   * A new master key (key file) or the one NIGHTSHIFT_MASTER_KEY names now; every notification
   * channel's sealed settings re-sealed and every artifact re-encrypted under it.
   */
  rotate(options: { forgetPrevious?: boolean } = {}): Promise<RotateMasterResult> {
    const { db } = this.deps;
    return rotateMasterKey({ ...this.deps, ...options, secrets: (keyring) => resealChannelSecrets(db, new SecretSealer(keyring)) });
  }
}
