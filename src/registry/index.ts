/** Per-tenant model registry: versions, content-addressed artifacts, the champion alias, rollback, retention. */
export { ModelRegistry, REGISTRY_DEFAULTS, type LoadedArtifact, type ModelRegistryOptions } from './model-registry.ts';
export { ArtifactStore, identityCodec, type ArtifactCodec, type ArtifactContent } from './artifact-store.ts';
export { versionName } from './version-input.ts';
export * from './types.ts';
