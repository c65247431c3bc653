/** The raw columns a feature spec reads, each with its kind: what a caller must send, what drift profiles. */
import { featureLayout, type FeatureSpec } from './spec.ts';

export type RawColumnKind = 'numeric' | 'categorical';

const columnsBySpec = new WeakMap<FeatureSpec, Map<string, RawColumnKind>>();

/** Raw column → its kind (lag and rolling features read a numeric source column); cached per spec. */
export function rawColumns(spec: FeatureSpec): ReadonlyMap<string, RawColumnKind> {
  let out = columnsBySpec.get(spec);
  if (out) return out;
  const { raw } = featureLayout(spec);
  out = new Map<string, RawColumnKind>();
  for (const c of [...raw.continuous, ...raw.lags, ...raw.rolling]) out.set(c, 'numeric');
  for (const c of raw.categorical) out.set(c, 'categorical');
  columnsBySpec.set(spec, out);
  return out;
}
