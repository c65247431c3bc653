/**
 * The feature spec: how raw samples become model features. It is plain JSON, stored in the model
 * artifact (`featureSpec`), and the ONE transform (transform.ts) applies it both at training and at
 * serving, so there is no train/serve skew.
 *
 * Column names in `continuous`, `categorical`, `lags` and `rolling` are names AFTER
 * `columnMapping` (raw name → name). Raw columns not named in the mapping keep their name.
 *
 * - continuous: the column's numeric value (missing → NaN).
 * - categorical: an integer code; the vocabulary is learned at training (most frequent first,
 *   at most `maxCategories`) and stored in `vocabulary`; unseen or missing values → NaN.
 * - lags: the column's value for the same entity at ts − lagSeconds, i.e. from the latest sample
 *   with sample.ts ≤ ts − lagSeconds (never after); NaN when there is none or its value is missing.
 * - rolling: mean / std (population, ddof 0) / min / max of the column's non-missing values over the
 *   entity's EARLIER samples, those with ts in (ts − windowSeconds, ts). The current row is
 *   excluded (its value is already the continuous feature; so are other samples at the same ts),
 *   which makes an entity's first row, or a row served without history, NaN (= missing) exactly
 *   like a lag. Later samples never count. NaN when the window has no value.
 *
 * A spec is a value: once it has been used (transformed with, served), it is not changed in place.
 * Derived facts (feature names, FeatureInfos, raw columns, the transform's plan) are computed once
 * per spec object and cached in WeakMaps keyed by it; a changed spec is a new object
 * (parseFeatureSpec, fitFeatureSpec and structuredClone each make one).
 */
import { NsError } from '../../errors.ts';
import type { FeatureInfo } from '../../trainers/types.ts';

export const FEATURE_SPEC_FORMAT = 'nightshift-feature-spec';
export const ROLLING_STATS = ['mean', 'std', 'min', 'max'] as const;
export type RollingStat = (typeof ROLLING_STATS)[number];
export const DEFAULT_MAX_CATEGORIES = 1000;

export interface LagFeature {
  column: string;
  lagSeconds: number;
}

export interface RollingFeature {
  column: string;
  windowSeconds: number;
  stats: RollingStat[];
}

export interface FeatureSpec {
  format: typeof FEATURE_SPEC_FORMAT;
  version: 1;
  /** Raw column name → feature name. */
  columnMapping: Record<string, string>;
  continuous: string[];
  categorical: string[];
  lags: LagFeature[];
  rolling: RollingFeature[];
  /** Largest vocabulary kept per categorical column; rarer values are treated as unseen. */
  maxCategories: number;
  /** Learned at training: per categorical column, code i ↔ vocabulary[column][i]. Absent until fitted. */
  vocabulary?: Record<string, string[]>;
}

/** What a user writes: format, version, lags, rolling and maxCategories may be left out. */
export type FeatureSpecInput = Partial<FeatureSpec> & Pick<FeatureSpec, 'continuous'>;

const invalid = (field: string, message: string): NsError =>
  new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const NAME = /^[A-Za-z_][A-Za-z0-9_.\-]{0,127}$/;
// Names that would change an object's prototype when used as a key.
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function name(v: unknown, field: string): string {
  if (typeof v !== 'string' || !NAME.test(v) || RESERVED.has(v)) {
    throw invalid(field, `must be a column name (letters, digits, "_", ".", "-"; at most 128), got ${JSON.stringify(v)}`);
  }
  return v;
}

function names(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(field, 'must be an array of column names');
  const out = v.map((x, i) => name(x, `${field}[${i}]`));
  const dup = out.find((x, i) => out.indexOf(x) !== i);
  if (dup !== undefined) throw invalid(field, `names "${dup}" twice`);
  return out;
}

function seconds(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 10 * 366 * 86_400) {
    throw invalid(field, `must be a positive number of seconds (at most 10 years), got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Validates a spec (from config, an API body or a stored artifact) into a normalised copy.
 * Errors are NsError NS_VALIDATION naming the bad field, e.g. `featureSpec.lags[1].lagSeconds`.
 */
export function parseFeatureSpec(input: unknown, field = 'featureSpec'): FeatureSpec {
  if (!isRecord(input)) throw invalid(field, 'must be an object');
  const known = new Set(['format', 'version', 'columnMapping', 'continuous', 'categorical', 'lags', 'rolling', 'maxCategories', 'vocabulary']);
  const unknown = Object.keys(input).find((k) => !known.has(k));
  if (unknown !== undefined) throw invalid(`${field}.${unknown}`, `unknown property; allowed: ${[...known].join(', ')}`);
  if (input.format !== undefined && input.format !== FEATURE_SPEC_FORMAT) throw invalid(`${field}.format`, `must be "${FEATURE_SPEC_FORMAT}"`);
  if (input.version !== undefined && input.version !== 1) throw invalid(`${field}.version`, 'must be 1');

  const columnMapping: Record<string, string> = {};
  if (input.columnMapping !== undefined) {
    if (!isRecord(input.columnMapping)) throw invalid(`${field}.columnMapping`, 'must be an object {rawName: name}');
    const targets = new Map<string, string>();
    for (const [raw, to] of Object.entries(input.columnMapping)) {
      const f = `${field}.columnMapping.${raw}`;
      name(raw, f);
      const target = name(to, f);
      const other = targets.get(target);
      if (other !== undefined) throw invalid(f, `"${other}" and "${raw}" are both mapped to "${target}"`);
      targets.set(target, raw);
      columnMapping[raw] = target;
    }
  }

  const continuous = names(input.continuous, `${field}.continuous`);
  const categorical = names(input.categorical, `${field}.categorical`);
  const both = continuous.find((c) => categorical.includes(c));
  if (both !== undefined) throw invalid(`${field}.categorical`, `"${both}" is also listed in continuous`);

  const lags: LagFeature[] = [];
  if (input.lags !== undefined) {
    if (!Array.isArray(input.lags)) throw invalid(`${field}.lags`, 'must be an array of {column, lagSeconds}');
    input.lags.forEach((l: unknown, i) => {
      const f = `${field}.lags[${i}]`;
      if (!isRecord(l)) throw invalid(f, 'must be {column, lagSeconds}');
      lags.push({ column: name(l.column, `${f}.column`), lagSeconds: seconds(l.lagSeconds, `${f}.lagSeconds`) });
    });
  }

  const rolling: RollingFeature[] = [];
  if (input.rolling !== undefined) {
    if (!Array.isArray(input.rolling)) throw invalid(`${field}.rolling`, 'must be an array of {column, windowSeconds, stats}');
    input.rolling.forEach((r: unknown, i) => {
      const f = `${field}.rolling[${i}]`;
      if (!isRecord(r)) throw invalid(f, 'must be {column, windowSeconds, stats}');
      const stats = r.stats === undefined ? [...ROLLING_STATS] : r.stats;
      if (!Array.isArray(stats) || stats.length === 0) throw invalid(`${f}.stats`, `must be a non-empty array of ${ROLLING_STATS.join(', ')}`);
      stats.forEach((s: unknown, j) => {
        if (!(ROLLING_STATS as readonly unknown[]).includes(s)) throw invalid(`${f}.stats[${j}]`, `must be one of ${ROLLING_STATS.join(', ')}, got ${JSON.stringify(s)}`);
      });
      if (new Set(stats).size !== stats.length) throw invalid(`${f}.stats`, 'lists a statistic twice');
      rolling.push({ column: name(r.column, `${f}.column`), windowSeconds: seconds(r.windowSeconds, `${f}.windowSeconds`), stats: stats as RollingStat[] });
    });
  }

  let maxCategories = DEFAULT_MAX_CATEGORIES;
  if (input.maxCategories !== undefined) {
    if (typeof input.maxCategories !== 'number' || !Number.isInteger(input.maxCategories) || input.maxCategories < 1 || input.maxCategories > 100_000) {
      throw invalid(`${field}.maxCategories`, 'must be a whole number from 1 to 100000');
    }
    maxCategories = input.maxCategories;
  }

  const spec: FeatureSpec = { format: FEATURE_SPEC_FORMAT, version: 1, columnMapping, continuous, categorical, lags, rolling, maxCategories };
  if (input.vocabulary !== undefined) spec.vocabulary = parseVocabulary(input.vocabulary, categorical, `${field}.vocabulary`);

  const featureNames = outputNames(spec);
  const dupName = featureNames.find((n, i) => featureNames.indexOf(n) !== i);
  if (dupName !== undefined) throw invalid(field, `two features would both be named "${dupName}"`);
  if (featureNames.length === 0) throw invalid(`${field}.continuous`, 'the spec produces no feature; list at least one column');
  return spec;
}

function parseVocabulary(v: unknown, categorical: readonly string[], field: string): Record<string, string[]> {
  if (!isRecord(v)) throw invalid(field, 'must be an object {column: [category, …]}');
  const out: Record<string, string[]> = {};
  for (const column of categorical) {
    const list = v[column];
    if (!Array.isArray(list) || list.some((c) => typeof c !== 'string')) throw invalid(`${field}.${column}`, 'must be an array of strings');
    if (new Set(list).size !== list.length) throw invalid(`${field}.${column}`, 'lists a category twice');
    out[column] = [...(list as string[])];
  }
  const extra = Object.keys(v).find((k) => !categorical.includes(k));
  if (extra !== undefined) throw invalid(`${field}.${extra}`, 'is not a categorical column of this spec');
  return out;
}

export const lagName = (l: LagFeature): string => `${l.column}_lag_${l.lagSeconds}s`;
export const rollingName = (r: RollingFeature, stat: RollingStat): string => `${r.column}_roll_${r.windowSeconds}s_${stat}`;

/** Output feature names in matrix column order: continuous, categorical, lags, rolling (spec order). A new array per call. */
export function outputNames(spec: FeatureSpec): string[] {
  return [
    ...spec.continuous,
    ...spec.categorical,
    ...spec.lags.map(lagName),
    ...spec.rolling.flatMap((r) => r.stats.map((s) => rollingName(r, s))),
  ];
}

/** FeatureInfo per output column; categorical ones carry their learned categories (needs a fitted spec). A new array per call. */
export function featureInfos(spec: FeatureSpec): FeatureInfo[] {
  return outputNames(spec).map((n, i) => {
    const isCategorical = i >= spec.continuous.length && i < spec.continuous.length + spec.categorical.length;
    if (!isCategorical) return { name: n, type: 'numeric' };
    return { name: n, type: 'categorical', categories: spec.vocabulary?.[n] ?? [] };
  });
}

/** Feature name → raw column name (the inverse of columnMapping; unmapped names map to themselves). */
export function rawColumnOf(spec: FeatureSpec, column: string): string {
  for (const [raw, to] of Object.entries(spec.columnMapping)) if (to === column) return raw;
  return column;
}

/**
 * How far back (seconds before a row) serving needs the entity's history to reproduce its lag and
 * rolling features: give at least one sample at or before row.ts minus this, and all samples after.
 */
export function requiredHistorySeconds(spec: FeatureSpec): number {
  return Math.max(0, ...spec.lags.map((l) => l.lagSeconds), ...spec.rolling.map((r) => r.windowSeconds));
}

/** What the hot path (serving a row) needs from a spec, computed once per spec object. Frozen. */
export interface FeatureLayout {
  /** outputNames(spec). */
  readonly names: readonly string[];
  /** featureInfos(spec); categories are copies, so freezing them leaves the spec's vocabulary alone. */
  readonly infos: readonly FeatureInfo[];
  /** The raw column each continuous, categorical, lag and rolling entry reads, in spec order. */
  readonly raw: {
    readonly continuous: readonly string[];
    readonly categorical: readonly string[];
    readonly lags: readonly string[];
    readonly rolling: readonly string[];
  };
}

const layouts = new WeakMap<FeatureSpec, FeatureLayout>();

/**
 * The spec's feature names, FeatureInfos and raw columns, cached per spec object (see the header),
 * instead of rebuilt for every served row. The FeatureInfos carry categories: use it on fitted specs.
 */
export function featureLayout(spec: FeatureSpec): FeatureLayout {
  let layout = layouts.get(spec);
  if (layout) return layout;
  const infos = featureInfos(spec).map((f) => Object.freeze(f.categories ? { ...f, categories: Object.freeze([...f.categories]) as string[] } : f));
  const raw = (columns: readonly string[]) => Object.freeze(columns.map((c) => rawColumnOf(spec, c)));
  layout = Object.freeze({
    names: Object.freeze(outputNames(spec)),
    infos: Object.freeze(infos),
    raw: Object.freeze({
      continuous: raw(spec.continuous),
      categorical: raw(spec.categorical),
      lags: raw(spec.lags.map((l) => l.column)),
      rolling: raw(spec.rolling.map((r) => r.column)),
    }),
  });
  layouts.set(spec, layout);
  return layout;
}

export const isFitted = (spec: FeatureSpec): boolean => spec.categorical.length === 0 || spec.vocabulary !== undefined;
