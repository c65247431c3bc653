/** The artifact storage the settings choose (NIGHTSHIFT_ARTIFACTS; by default postgres with DATABASE_URL, files otherwise). */
import type { Db } from '../store/db.ts';
import { type ArtifactCodec, type ArtifactStorage, type ArtifactStorageKind } from './artifact-storage.ts';
import { artifactCodec } from './artifact-codec.ts';
import { FileArtifactStorage } from './file-artifact-storage.ts';
import { PostgresArtifactStorage } from './postgres-artifact-storage.ts';

export interface ArtifactStorageSettings {
  dataDir: string;
  /** Unset: the default for the store (postgres on PostgreSQL, file on SQLite). */
  artifacts?: ArtifactStorageKind | undefined;
}

/**
 * `postgres` on a SQLite store is refused (NS_CONFIG_INVALID naming NIGHTSHIFT_ARTIFACTS). The codec
 * defaults to encryption under the settings' master key (artifact-codec.ts).
 */
export function createArtifactStorage(settings: ArtifactStorageSettings, db: Db, codec: ArtifactCodec = artifactCodec(settings)): ArtifactStorage {
  const kind = settings.artifacts ?? defaultArtifactStorage(db);
  return kind === 'postgres' ? new PostgresArtifactStorage(db, codec) : new FileArtifactStorage(settings.dataDir, codec);
}

export const defaultArtifactStorage = (db: Pick<Db, 'dialect'>): ArtifactStorageKind => (db.dialect === 'postgres' ? 'postgres' : 'file');
