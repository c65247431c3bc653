/**
 * `nightshift keys rotate-master`: re-encrypts every stored artifact under a new master key.
 *
 * With the key file (no NIGHTSHIFT_MASTER_KEY), a new key is generated and written first as the
 * file's current key, the old one kept after it for reading; running services re-read the file when
 * they meet the new key's id, so they keep serving throughout. With NIGHTSHIFT_MASTER_KEY, the
 * operator sets the new key there and the old one in NIGHTSHIFT_MASTER_KEY_PREVIOUS (on every node),
 * and this re-encrypts what is not under the current key yet. Either way it also encrypts artifacts
 * stored in plaintext before encryption existed, and it can run again: what is current is skipped.
 * `forgetPrevious` drops the retired keys from the key file once nothing needs them.
 *
 * Secrets sealed with the master key (notification channels' settings) are re-sealed by `secrets`,
 * which the caller supplies (the registry knows nothing of channels), before the artifacts.
 *
 * Why every model keeps serving and nothing is ever unreadable: the new key is added to the key
 * file before anything is written under it, and the old one stays there (readers accept both) until
 * `forgetPrevious`, which runs only once nothing is left under it. Each artifact is replaced
 * atomically (a staged file renamed into place; one transaction on PostgreSQL), the channels'
 * settings all in one transaction. A rotation cut short leaves every value under either key, and
 * running it again finishes it.
 */
import { generateMasterKey, writeKeyFile, type MasterKeyring } from '../crypto/master-key.ts';
import { isNsError } from '../errors.ts';
import type { AuditRecorder } from '../services/audit-service.ts';
import type { Db } from '../store/db.ts';
import { artifactKeyring } from './artifact-codec.ts';
import { createArtifactStorage, type ArtifactStorageSettings } from './create-artifact-storage.ts';
import { EncryptedCodec } from './encrypted-codec.ts';

export interface RotateMasterOptions {
  db: Db;
  settings: ArtifactStorageSettings;
  /** Where the rotation is recorded (the CLI's engine's audit log). */
  audit?: AuditRecorder;
  /** Drop the retired keys from the key file once every artifact and secret is under the new one. */
  forgetPrevious?: boolean;
  /** Re-seals the secrets sealed with the master key, under the ring's (new) current key. */
  secrets?: (keyring: MasterKeyring) => Promise<SecretsResult>;
}

export interface SecretsResult {
  resealed: number;
  alreadyCurrent: number;
  /** Secrets that could not be re-sealed (tampered, or under a key this process lacks). */
  problems: Array<{ tenantId: string; what: string; message: string }>;
}

export interface RotateMasterResult {
  source: 'env' | 'file';
  previousKeyId: string;
  keyId: string;
  rewritten: number;
  alreadyCurrent: number;
  /** Artifacts that could not be re-encrypted (missing, corrupted, or under a key this process lacks). */
  problems: Array<{ tenantId: string; sha256: string; message: string }>;
  /** The sealed secrets (notification channels). */
  secrets: SecretsResult;
  forgotten: number;
}

export async function rotateMasterKey(o: RotateMasterOptions): Promise<RotateMasterResult> {
  const keyring = artifactKeyring(o.settings);
  const previous = keyring.current;
  if (keyring.source === 'file' && keyring.file) {
    writeKeyFile(keyring.file, [generateMasterKey(), ...keyringKeys(keyring)]);
    keyring.reload();
  }
  const storage = createArtifactStorage(o.settings, o.db, new EncryptedCodec(keyring));
  const secrets = (await o.secrets?.(keyring)) ?? { resealed: 0, alreadyCurrent: 0, problems: [] };
  const result: RotateMasterResult = { source: keyring.source, previousKeyId: previous.id, keyId: keyring.current.id, rewritten: 0, alreadyCurrent: 0, problems: [], secrets, forgotten: 0 };
  for await (const item of storage.list()) {
    if (item.kind !== 'artifact' || item.sha256 === null) continue;
    try {
      const outcome = await storage.reencode(item.tenantId, item.sha256, `artifact ${item.sha256} (tenant "${item.tenantId}")`);
      if (outcome === 'rewritten') result.rewritten += 1;
      else if (outcome === 'current') result.alreadyCurrent += 1;
    } catch (error) {
      if (!isNsError(error) || error.code !== 'NS_STORE') throw error;
      result.problems.push({ tenantId: item.tenantId, sha256: item.sha256, message: error.message });
    }
  }
  if (o.forgetPrevious && keyring.source === 'file' && keyring.file && result.problems.length === 0 && secrets.problems.length === 0) {
    result.forgotten = keyring.ids.length - 1;
    writeKeyFile(keyring.file, [keyring.current]);
  }
  await o.audit?.record({
    action: 'key.rotate-master',
    tenantId: null,
    target: 'master-key',
    before: { keyId: previous.id },
    after: { keyId: keyring.current.id, source: keyring.source, rewritten: result.rewritten, alreadyCurrent: result.alreadyCurrent, problems: result.problems.length, secretsResealed: secrets.resealed, secretProblems: secrets.problems.length, forgotten: result.forgotten },
  });
  return result;
}

/** The ring's keys, current first. */
function keyringKeys(keyring: MasterKeyring) {
  return keyring.ids.map((id) => keyring.find(id)!).filter((k) => k !== null);
}
