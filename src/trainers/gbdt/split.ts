/**
 * Best split of a leaf from its histograms. Gain (LightGBM's form, no ½):
 *   G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)
 * Each threshold bin is tried with the missing-value bin on the right and, when the leaf has
 * missing values, on the left: the direction that gains more is learned. A leaf without missing
 * values sends future missing values to the side with more rows.
 *
 * The search runs per feature (kernels-split.ts, possibly in a worker thread), each feature's best
 * written to `cands`; pickSplit then takes the best over the features in their order, exactly as
 * one scan over all of them would. Tiny "gains" are rounding noise (for example a leaf whose
 * gradients already sum to zero): a candidate must beat the best so far and 1e-12 · (parent + gain).
 */
export interface LeafSums {
  g: number;
  h: number;
  count: number;
}

export interface SplitCandidate {
  gain: number;
  feature: number;
  /** Rows with bin <= this go left (the threshold is binEdges[feature][bin]). */
  bin: number;
  missingLeft: boolean;
  left: LeafSums;
}

export interface SplitRules {
  l2: number;
  minSamplesLeaf: number;
  minChildWeight: number;
  minSplitGain: number;
}

/** Float64 fields of one feature's best split in `cands` (gain −Infinity: none). */
export const CAND = { GAIN: 0, BIN: 1, MISSING_LEFT: 2, G: 3, H: 4, COUNT: 5 } as const;

/** Leaf output before shrinkage: −G/(H+λ). */
export function leafWeight(g: number, h: number, l2: number): number {
  const den = h + l2;
  return den > 0 ? -g / den : 0;
}

/**
 * The best of the per-feature candidates cands[from + j · stride] of features[0, count), or null:
 * the first feature (in order) with the largest gain, as a single scan over all features finds.
 */
export function pickSplit(cands: Float64Array, from: number, stride: number, features: ArrayLike<number>, count: number): SplitCandidate | null {
  let best = -1;
  let bestGain = -Infinity;
  for (let j = 0; j < count; j++) {
    const gain = cands[from + j * stride + CAND.GAIN]!;
    if (gain > bestGain) {
      bestGain = gain;
      best = j;
    }
  }
  if (best < 0) return null;
  const at = from + best * stride;
  return {
    gain: bestGain,
    feature: features[best]!,
    bin: cands[at + CAND.BIN]!,
    missingLeft: cands[at + CAND.MISSING_LEFT] === 1,
    left: { g: cands[at + CAND.G]!, h: cands[at + CAND.H]!, count: cands[at + CAND.COUNT]! },
  };
}
