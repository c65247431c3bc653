/**
 * Best split of a leaf from its histograms. Gain (LightGBM's form, no ½):
 *   G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)
 * Each threshold bin is tried with the missing-value bin on the right and, when the leaf has
 * missing values, on the left: the direction that gains more is learned. A leaf without missing
 * values sends future missing values to the side with more rows.
 *
 * The search runs per feature (bestSplitOfFeature, on one feature's unpacked histogram, possibly in
 * a worker thread), each feature's best written to `cands`; pickSplit then takes the best over the
 * features in their order, exactly as one scan over all of them would.
 */
import { MISSING_BIN } from './bin-codes.ts';

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

const score = (g: number, h: number, l2: number): number => {
  const den = h + l2;
  return den > 0 ? (g * g) / den : 0;
};

/**
 * The best split of one feature with `numBins` value bins, from its unpacked histogram at
 * view[base…] ([G, H, count] per bin), written to out[at…] (see CAND). Tiny "gains" are rounding
 * noise (for example a leaf whose gradients already sum to zero): a candidate must beat the best so
 * far and 1e-12 · (parent + gain). Plain locals, not a closure, keep the hot loop in registers.
 */
export function bestSplitOfFeature(
  view: Float64Array, base: number, numBins: number, total: LeafSums, rules: SplitRules, withHess: boolean,
  out: Float64Array, at: number,
): void {
  out[at + CAND.GAIN] = -Infinity;
  if (numBins < 2) return; // a single distinct value is never split
  const { l2, minSamplesLeaf, minChildWeight } = rules;
  const totalG = total.g;
  const totalH = total.h;
  const totalCount = total.count;
  const parent = score(totalG, totalH, l2);
  let bestGain = rules.minSplitGain;
  let found = false;
  let bestBin = 0;
  let bestMissingLeft = false;
  let bestG = 0;
  let bestH = 0;
  let bestCount = 0;
  const mk = base + MISSING_BIN * 3;
  const mg = view[mk]!;
  const mc = view[mk + 2]!;
  const mh = withHess ? view[mk + 1]! : mc;
  let gl = 0;
  let hl = 0;
  let cl = 0;
  for (let b = 0; b < numBins - 1; b++) {
    const k = base + b * 3;
    gl += view[k]!;
    const c = view[k + 2]!;
    cl += c;
    hl += withHess ? view[k + 1]! : c;
    // Missing values to the right (with the larger bins).
    const cr = totalCount - cl;
    if (cr < minSamplesLeaf) break; // only shrinks further
    const hr = totalH - hl;
    if (cl >= minSamplesLeaf && hl >= minChildWeight && hr >= minChildWeight) {
      const gain = score(gl, hl, l2) + score(totalG - gl, hr, l2) - parent;
      if (gain > bestGain && gain > 1e-12 * (parent + gain)) {
        bestGain = gain;
        found = true;
        bestBin = b;
        bestMissingLeft = mc > 0 ? false : cl >= cr;
        bestG = gl;
        bestH = hl;
        bestCount = cl;
      }
    }
    if (mc > 0) {
      // Missing values to the left.
      const cl2 = cl + mc;
      const cr2 = totalCount - cl2;
      const hl2 = hl + mh;
      const hr2 = totalH - hl2;
      if (cl2 >= minSamplesLeaf && cr2 >= minSamplesLeaf && hl2 >= minChildWeight && hr2 >= minChildWeight) {
        const gl2 = gl + mg;
        const gain = score(gl2, hl2, l2) + score(totalG - gl2, hr2, l2) - parent;
        if (gain > bestGain && gain > 1e-12 * (parent + gain)) {
          bestGain = gain;
          found = true;
          bestBin = b;
          bestMissingLeft = true;
          bestG = gl2;
          bestH = hl2;
          bestCount = cl2;
        }
      }
    }
  }
  if (!found) return;
  out[at + CAND.GAIN] = bestGain;
  out[at + CAND.BIN] = bestBin;
  out[at + CAND.MISSING_LEFT] = bestMissingLeft ? 1 : 0;
  out[at + CAND.G] = bestG;
  out[at + CAND.H] = bestH;
  out[at + CAND.COUNT] = bestCount;
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
