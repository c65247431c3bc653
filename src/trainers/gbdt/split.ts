/**
 * Best split of a leaf from its histograms. Gain (LightGBM's form, no ½):
 *   G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)
 * Each threshold bin is tried with the missing-value bin on the right and, when the leaf has
 * missing values, on the left: the direction that gains more is learned. A leaf without missing
 * values sends future missing values to the side with more rows.
 */
import { MISSING_BIN } from './binning.ts';
import { histBase, type HistogramSpace } from './histogram.ts';

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
  s: HistogramSpace,
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
  const parent = score(total.g, total.h, l2);
  let bestGain = rules.minSplitGain;
  let best: SplitCandidate | null = null;
  const consider = (gain: number, f: number, bin: number, missingLeft: boolean, gl: number, hl: number, cl: number) => {
    // Tiny "gains" are rounding noise (for example a leaf whose gradients already sum to zero).
    if (gain > bestGain && gain > 1e-12 * (parent + gain)) {
      bestGain = gain;
      best = { gain, feature: f, bin, missingLeft, left: { g: gl, h: hl, count: cl } };
    }
  };
  for (let j = 0; j < count; j++) {
    const f = features[j]!;
    const nb = numBins[f]!;
    if (nb < 2) continue; // a single distinct value is never split
    const base = histBase(s, slot, f);
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
      const cr = total.count - cl;
      if (cr < minSamplesLeaf) break; // only shrinks further
      const hr = total.h - hl;
      if (cl >= minSamplesLeaf && hl >= minChildWeight && hr >= minChildWeight) {
        const gain = score(gl, hl, l2) + score(total.g - gl, hr, l2) - parent;
        const missingLeft = mc > 0 ? false : cl >= cr;
        consider(gain, f, b, missingLeft, gl, hl, cl);
      }
      if (mc > 0) {
        // Missing values to the left.
        const cl2 = cl + mc;
        const cr2 = total.count - cl2;
        const hl2 = hl + mh;
        const hr2 = total.h - hl2;
        if (cl2 >= minSamplesLeaf && cr2 >= minSamplesLeaf && hl2 >= minChildWeight && hr2 >= minChildWeight) {
          const gl2 = gl + mg;
          const gain = score(gl2, hl2, l2) + score(total.g - gl2, hr2, l2) - parent;
          consider(gain, f, b, true, gl2, hl2, cl2);
        }
      }
    }
  }
  return best;
}
