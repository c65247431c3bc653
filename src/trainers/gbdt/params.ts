/**
 * GBDT hyper-parameters: one DEFAULTS table, validated once into a frozen object. Every error is
 * NS_VALIDATION naming the parameter (`params.learningRate`), so a bad model definition fails at
 * once instead of after a long training run.
 */
import { NsError } from '../../errors.ts';

export const GBDT_OBJECTIVES = ['binary_logloss', 'squared_error'] as const;
export type GbdtObjectiveName = (typeof GBDT_OBJECTIVES)[number];

/** Largest number of value bins per feature; bin 255 is reserved for missing values. */
export const MAX_BINS = 255;

export interface GbdtParams {
  objective: GbdtObjectiveName;
  /** Trees to add (full mode: the whole model; incremental mode: on top of the initial model). */
  numTrees: number;
  learningRate: number;
  /** Leaf-wise growth stops at this many leaves per tree. */
  maxLeaves: number;
  /** Optional depth cap (root = depth 0); null = unlimited. */
  maxDepth: number | null;
  minSamplesLeaf: number;
  /** Minimum hessian sum per child (logloss: p(1-p) summed; squared error: row count). */
  minChildWeight: number;
  /** L2 regularization λ in leaf values −G/(H+λ) and split gains. */
  l2: number;
  /** A split must improve the objective by more than this (in gain units). */
  minSplitGain: number;
  /** Quantile bins per feature (≤ 255, plus one bin for missing values). */
  maxBins: number;
  /** Rows sampled (seeded) to compute bin edges; all rows are binned. */
  binSampleRows: number;
  /** Fraction of rows each tree is grown on (bagging, seeded per tree). */
  rowSubsample: number;
  /** Fraction of features each tree may split on (seeded per tree). */
  featureSubsample: number;
  /** With a validation set: stop after this many trees without improvement, keep the best. 0 = never stop early. */
  earlyStoppingRounds: number;
  /** Use worker threads (histograms, partitions, gradients, score updates) only when rows × features is at least this. */
  parallelMinCells: number;
}

export const GBDT_DEFAULTS: Readonly<Omit<GbdtParams, 'objective'>> = Object.freeze({
  numTrees: 100,
  learningRate: 0.1,
  maxLeaves: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  minChildWeight: 1e-3,
  l2: 0,
  minSplitGain: 0,
  maxBins: MAX_BINS,
  binSampleRows: 200_000,
  rowSubsample: 1,
  featureSubsample: 1,
  earlyStoppingRounds: 10,
  parallelMinCells: 2_000_000,
});

type Rule = (value: unknown) => string | null;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const int = (min: number, max = Number.MAX_SAFE_INTEGER): Rule => (v) =>
  isNumber(v) && Number.isInteger(v) && v >= min && v <= max ? null : `must be an integer in [${min}, ${max}]`;
const real = (min: number, max: number, minOpen = false): Rule => (v) =>
  isNumber(v) && (minOpen ? v > min : v >= min) && v <= max
    ? null
    : `must be a number in ${minOpen ? '(' : '['}${min}, ${max}]`;

const RULES: Record<keyof GbdtParams, Rule> = {
  objective: (v) =>
    typeof v === 'string' && (GBDT_OBJECTIVES as readonly string[]).includes(v)
      ? null
      : `required; one of ${GBDT_OBJECTIVES.join(', ')}`,
  numTrees: int(0, 100_000),
  learningRate: real(0, 1, true),
  maxLeaves: int(2, 131_072),
  maxDepth: (v) => (v === null ? null : int(1, 64)(v)),
  minSamplesLeaf: int(1),
  minChildWeight: real(0, Number.MAX_VALUE),
  l2: real(0, Number.MAX_VALUE),
  minSplitGain: real(0, Number.MAX_VALUE),
  maxBins: int(2, MAX_BINS),
  binSampleRows: int(1000),
  rowSubsample: real(0, 1, true),
  featureSubsample: real(0, 1, true),
  earlyStoppingRounds: int(0),
  parallelMinCells: int(0),
};

export type ResolvedGbdtParams = Readonly<GbdtParams>;

/** Defaults + the given values, validated; unknown names are rejected (typos must not pass silently). */
export function resolveGbdtParams(input: unknown): ResolvedGbdtParams {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new NsError('NS_VALIDATION', 'params: must be an object of GBDT parameters', { field: 'params' });
  }
  const given = input as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!(name in RULES)) {
      throw new NsError(
        'NS_VALIDATION',
        `params.${name}: unknown GBDT parameter; known: ${Object.keys(RULES).join(', ')}`,
        { field: `params.${name}` },
      );
    }
  }
  const merged: Record<string, unknown> = { ...GBDT_DEFAULTS };
  for (const [name, value] of Object.entries(given)) if (value !== undefined) merged[name] = value;
  for (const [name, rule] of Object.entries(RULES)) {
    const problem = rule(merged[name]);
    if (problem !== null) {
      throw new NsError('NS_VALIDATION', `params.${name}: ${problem} (got ${JSON.stringify(merged[name])})`, {
        field: `params.${name}`,
      });
    }
  }
  return Object.freeze(merged as unknown as GbdtParams);
}
