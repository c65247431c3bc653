/**
 * The bytes a version's artifact is stored as: its JSON with every object's keys in sorted order.
 * With nothing time-dependent in the artifact (no createdAt: the version row has its own
 * created_at), the same training on the same data with the same seed gives the same bytes, hence
 * the same sha256, whatever order the model's params were declared in; a retraining on unchanged
 * data then adds a version but no artifact. Arrays keep their order.
 */
export function artifactBytes(artifact: unknown): Buffer {
  return Buffer.from(JSON.stringify(artifact, sortedKeys));
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
  return sorted;
}
