/** Per-tenant model registry: versions, content-addressed artifacts, the champion alias, rollback, retention. */
export { ModelRegistry, REGISTRY_DEFAULTS, type LoadedArtifact, type ModelRegistryOptions } from './model-registry.ts';
export {
  identityCodec,
  type ArtifactCodec,
  type ArtifactContent,
  type ArtifactStorage,
  type ArtifactStorageKind,
  type StagedArtifact,
  type StoredArtifact,
} from './artifact-storage.ts';
export { FileArtifactStorage } from './file-artifact-storage.ts';
export { PostgresArtifactStorage } from './postgres-artifact-storage.ts';
export { createArtifactStorage, defaultArtifactStorage, type ArtifactStorageSettings } from './create-artifact-storage.ts';
export { putArtifact } from './put-artifact.ts';
export { migrateArtifacts, type ArtifactProblem, type MigrateArtifactsOptions, type MigrateArtifactsResult } from './migrate-artifacts.ts';
export { versionName } from './version-input.ts';
export * from './types.ts';
