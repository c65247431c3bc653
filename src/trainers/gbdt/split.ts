/**
 * Best split of a leaf from its histograms. Gain (LightGBM's form, no ½):
 *   G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)
 * Each threshold bin is tried with the missing-value bin on the right and, when the leaf has
 * missing values, on the left: the direction that gains more is learned. A leaf without missing
 * values sends future missing values to the side with more rows.
 */
import { MISSING_BIN } from './binning.ts';
import { histIndex, type Workspace } from './workspace.ts';

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

/** Leaf output before shrinkage: −G/(H+λ). */
export function leafWeight(g: number, h: number, l2: number): number {
  const den = h + l2;
  return den > 0 ? -g / den : 0;
}

const score = (g: number, h: number, l2: number): number => {
  const den = h + l2;
  return den > 0 ? (g * g) / den : 0;
};

/** Best split over the given features of the leaf whose histograms are in `slot`, or null. */
export function findBestSplit(
  s: Workspace,
  slot: number,
  features: Int32Array,
  count: number,
  numBins: readonly number[],
  total: LeafSums,
  rules: SplitRules,
): SplitCandidate | null {
  const { l2, minSamplesLeaf, minChildWeight } = rules;
  const hist = s.hist;
  const withHess = s.withHess;
  const totalG = total.g;
  const totalH = total.h;
  const totalCount = total.count;
  const parent = score(totalG, totalH, l2);
  // Tiny "gains" are rounding noise (for example a leaf whose gradients already sum to zero):
  // a candidate must beat the best so far and 1e-12 · (parent + gain). Plain locals, not a
  // closure, keep the hot loop in registers.
  let bestGain = rules.minSplitGain;
  let bestFeature = -1;
  let bestBin = 0;
  let bestMissingLeft = false;
  let bestG = 0;
  let bestH = 0;
  let bestCount = 0;
  for (let j = 0; j < count; j++) {
    const f = features[j]!;
    const nb = numBins[f]!;
    if (nb < 2) continue; // a single distinct value is never split
    const base = histIndex(s, slot, f);
    const mk = base + MISSING_BIN * 3;
    const mg = hist[mk]!;
    const mc = hist[mk + 2]!;
    const mh = withHess ? hist[mk + 1]! : mc;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < nb - 1; b++) {
      const k = base + b * 3;
      gl += hist[k]!;
      const c = hist[k + 2]!;
      cl += c;
      hl += withHess ? hist[k + 1]! : c;
      // Missing values to the right (with the larger bins).
      const cr = totalCount - cl;
      if (cr < minSamplesLeaf) break; // only shrinks further
      const hr = totalH - hl;
      if (cl >= minSamplesLeaf && hl >= minChildWeight && hr >= minChildWeight) {
        const gain = score(gl, hl, l2) + score(totalG - gl, hr, l2) - parent;
        if (gain > bestGain && gain > 1e-12 * (parent + gain)) {
          bestGain = gain;
          bestFeature = f;
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
            bestFeature = f;
            bestBin = b;
            bestMissingLeft = true;
            bestG = gl2;
            bestH = hl2;
            bestCount = cl2;
          }
        }
      }
    }
  }
  if (bestFeature < 0) return null;
  return { gain: bestGain, feature: bestFeature, bin: bestBin, missingLeft: bestMissingLeft, left: { g: bestG, h: bestH, count: bestCount } };
}
