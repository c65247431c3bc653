/**
 * The one feature transform, shared by training (buildTrainingSet) and serving
 * (transformForServing). Rows are sorted by entity, then time, once; lag features use a forward
 * pointer and rolling statistics a sliding window with running sums and monotone min/max deques,
 * so each lag or rolling feature costs O(n) after the O(n log n) sort.
 *
 * No future leakage: a row's lag and rolling values read only EARLIER samples of its entity (lags:
 * ts ≤ row.ts − lag; rolling: ts < row.ts; see spec.ts). Changing or adding a later sample never
 * changes an earlier row's features.
 *
 * Parity: serving a row with its entity's history yields the same features as training did for
 * that row, provided the history reaches back past requiredHistorySeconds(spec) (at least one
 * sample at or before row.ts − requiredHistorySeconds, as the lag reads the latest sample at or
 * before its target time). Lags, min, max, continuous and categorical values are bit-identical;
 * mean and std agree to floating-point rounding (~1e-12 relative), since their running sums start
 * at different rows.
 *
 * Speed (serving one row is on every predict request): what a spec implies (feature names and
 * infos, raw columns, categorical code maps, the columns lags and windows read) is compiled once
 * per spec object (planOf, featureLayout) instead of on every call; samples already in (entity,
 * time) order are not sorted; and a single row with its entity's history gets its lags by binary
 * search and its rolling windows from rollGroup over its entity's rows up to that row and no
 * further. Every fast path returns bit for bit what the general path returns
 * (test/unit/features-serving-fast-path.test.ts).
 */
import { NsError } from '../../errors.ts';
import type { FeatureInfo, Matrix, TrainingSet } from '../../trainers/types.ts';
import type { DatasetSchema, RawSample } from '../types.ts';
import { checkSpecAgainstSchema } from './schema-check.ts';
import { featureInfos, featureLayout, isFitted, rawColumnOf, type FeatureLayout, type FeatureSpec, type RollingStat } from './spec.ts';

export interface BuiltTrainingSet extends TrainingSet {
  /** The fitted spec (vocabularies learned): store it as the artifact's `featureSpec`. */
  spec: FeatureSpec;
  /** Samples not used as training rows because their label is missing (they still serve as history). */
  unlabeled: number;
}

export interface ServingFeatures {
  features: readonly FeatureInfo[];
  X: Matrix;
}

export const numberOf = (v: unknown): number => {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(x) ? x : Number.NaN;
};

export const categoryOf = (v: unknown): string | null =>
  typeof v === 'string' ? (v === '' ? null : v) : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;

/**
 * Learns each categorical column's vocabulary: values by frequency (most frequent first, ties by
 * name), at most spec.maxCategories. Returns a new spec; the input is not changed.
 */
export function fitFeatureSpec(spec: FeatureSpec, samples: readonly RawSample[]): FeatureSpec {
  const vocabulary: Record<string, string[]> = {};
  for (const column of spec.categorical) {
    const raw = rawColumnOf(spec, column);
    const counts = new Map<string, number>();
    for (const s of samples) {
      const c = categoryOf(s.values[raw]);
      if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    vocabulary[column] = vocabularyOf(counts, spec.maxCategories);
  }
  return structuredClone({ ...spec, vocabulary });
}

/** Categories by frequency (most frequent first, ties by name), at most `max`. */
export function vocabularyOf(counts: ReadonlyMap<string, number>, max: number): string[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([c]) => c);
}

/**
 * Training: every labeled sample becomes a row (in input order); unlabeled samples only serve as
 * history for lag and rolling features. A spec that already has a vocabulary (for example from
 * the model being retrained) keeps it, so categorical codes stay stable; otherwise it is learned
 * from `samples`.
 */
export function buildTrainingSet(samples: readonly RawSample[], spec: FeatureSpec, schema: DatasetSchema): BuiltTrainingSet {
  checkSpecAgainstSchema(spec, schema);
  const fitted = isFitted(spec) ? structuredClone(spec) : fitFeatureSpec(spec, samples);
  const emit: number[] = [];
  samples.forEach((s, i) => {
    if (s.label === null || !Number.isFinite(s.label)) return;
    if (schema.label.type === 'binary' && s.label !== 0 && s.label !== 1) {
      throw new NsError('NS_VALIDATION', `${schema.label.name}: a binary label must be 0 or 1, got ${s.label} (entity "${s.entity}", ts ${s.ts})`, {
        field: schema.label.name,
        details: { entity: s.entity, ts: s.ts },
      });
    }
    emit.push(i);
  });
  const y = new Float64Array(emit.length);
  const ts = new Float64Array(emit.length);
  emit.forEach((i, k) => {
    const s = samples[i]!;
    y[k] = s.label as number;
    ts[k] = s.ts;
  });
  return { features: featureInfos(fitted), X: computeMatrix(samples, planOf(fitted), emit, false), y, ts, spec: fitted, unlabeled: samples.length - emit.length };
}

/**
 * Serving: features for `rows` (raw samples; labels ignored), in order. `history` holds earlier raw
 * samples of the same entities (at least requiredHistorySeconds(spec) of them); without it, the
 * lag and rolling features of a single row are NaN (= missing, which GBDT handles), exactly as for
 * an entity's first row in training.
 * History samples of other entities are ignored, and a history sample with the same entity and ts
 * as a row is taken to be that row (it is not counted twice). Rows of one entity are each other's
 * history too, so a batch of consecutive rows can be scored without separate history.
 *
 * Fast paths, each giving exactly (bit for bit) what the general path gives: a spec without lags
 * or rolling windows reads the rows alone and never looks at history; rows that all belong to one
 * entity (a single served row, say) pick their history without building string keys and skip the
 * sort when the samples already come in time order (as the store returns them).
 */
export function transformForServing(spec: FeatureSpec, rows: readonly RawSample[], history: readonly RawSample[] = []): ServingFeatures {
  if (!isFitted(spec)) throw new NsError('NS_VALIDATION', 'featureSpec.vocabulary: the spec is not fitted (build a training set with it first)', { field: 'featureSpec.vocabulary' });
  const plan = planOf(spec);
  if (!plan.needsHistory) return { features: plan.layout.infos, X: computeMatrix(rows, plan, null, true) };
  const entity = rows.length > 0 ? rows[0]!.entity : '';
  let oneEntity = true;
  for (let i = 1; i < rows.length && oneEntity; i++) oneEntity = rows[i]!.entity === entity;
  let kept: RawSample[];
  if (rows.length === 0) kept = [];
  else if (oneEntity) {
    // Same test as the string keys below: numbers print alike iff they are equal (0 and −0 too) or both NaN.
    kept = [];
    if (rows.length === 1) {
      const t = rows[0]!.ts;
      for (const h of history) if (h.entity === entity && !(h.ts === t || (Number.isNaN(h.ts) && Number.isNaN(t)))) kept.push(h);
    } else {
      const times = new Set(rows.map((r) => r.ts)); // SameValueZero: NaN matches NaN, 0 matches −0
      for (const h of history) if (h.entity === entity && !times.has(h.ts)) kept.push(h);
    }
  } else {
    const entities = new Set(rows.map((r) => r.entity));
    const keys = new Set(rows.map((r) => `${r.entity}\u0000${r.ts}`));
    kept = history.filter((h) => entities.has(h.entity) && !keys.has(`${h.entity}\u0000${h.ts}`));
  }
  const all = kept.length === 0 ? rows : [...kept, ...rows];
  const emit = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) emit[i] = kept.length + i;
  return { features: plan.layout.infos, X: computeMatrix(all, plan, emit, oneEntity) };
}

/** A spec compiled for the transform: its layout, each categorical column's codes, the columns lags and windows read. */
export interface Plan {
  readonly layout: FeatureLayout;
  readonly width: number;
  readonly needsHistory: boolean;
  /** Per categorical column: category → code (vocabulary index). */
  readonly codes: ReadonlyArray<ReadonlyMap<string, number>>;
  /** Distinct raw columns read by lags and rolling windows; lag and window entries refer to them by index. */
  readonly sources: readonly string[];
  readonly lags: ReadonlyArray<{ readonly source: number; readonly lagMs: number }>;
  readonly rolling: ReadonlyArray<RollingPlan>;
}

/** One rolling entry: its source column, window, and the output column of each statistic (−1: not asked for). */
interface RollingPlan {
  readonly source: number;
  readonly windowMs: number;
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

/** Plans of fitted specs, per spec object (see spec.ts: a used spec is not changed in place). */
const plans = new WeakMap<FeatureSpec, Plan>();

export function planOf(spec: FeatureSpec): Plan {
  let plan = plans.get(spec);
  if (plan) return plan;
  const layout = featureLayout(spec);
  const sources: string[] = [];
  const sourceOf = (raw: string) => {
    const i = sources.indexOf(raw);
    return i >= 0 ? i : sources.push(raw) - 1;
  };
  let col = spec.continuous.length + spec.categorical.length + spec.lags.length;
  plan = {
    layout,
    width: layout.names.length,
    needsHistory: spec.lags.length > 0 || spec.rolling.length > 0,
    // A later duplicate would win, as it did with one Map per call (parsed vocabularies have none).
    codes: spec.categorical.map((column) => new Map((spec.vocabulary?.[column] ?? []).map((c, code) => [c, code] as const))),
    sources,
    lags: spec.lags.map((l, i) => ({ source: sourceOf(layout.raw.lags[i]!), lagMs: l.lagSeconds * 1000 })),
    rolling: spec.rolling.map((r, i) => {
      const first = col;
      col += r.stats.length;
      const at = (stat: RollingStat) => (r.stats.includes(stat) ? first + r.stats.indexOf(stat) : -1);
      return { source: sourceOf(layout.raw.rolling[i]!), windowMs: r.windowSeconds * 1000, mean: at('mean'), std: at('std'), min: at('min'), max: at('max') };
    }),
  };
  plans.set(spec, plan);
  return plan;
}

/**
 * The shared core: features of samples[emit[k]] as matrix row k (emit null: every sample, in
 * order), using all samples as history. `oneEntity`: the caller knows every sample belongs to one
 * entity, so no entity codes are needed.
 */
function computeMatrix(samples: readonly RawSample[], plan: Plan, emit: readonly number[] | null, oneEntity: boolean): Matrix {
  const n = samples.length;
  const m = emit === null ? n : emit.length;
  const columns = new Array<Float64Array>(plan.width);
  for (let c = 0; c < plan.width; c++) columns[c] = new Float64Array(m).fill(Number.NaN);
  const { raw } = plan.layout;
  let col = 0;

  for (const name of raw.continuous) {
    const out = columns[col++]!;
    for (let k = 0; k < m; k++) out[k] = numberOf(samples[emit === null ? k : emit[k]!]!.values[name]);
  }
  for (let j = 0; j < raw.categorical.length; j++) {
    const name = raw.categorical[j]!;
    const codes = plan.codes[j]!;
    const out = columns[col++]!;
    for (let k = 0; k < m; k++) {
      const c = categoryOf(samples[emit === null ? k : emit[k]!]!.values[name]);
      out[k] = c === null ? Number.NaN : (codes.get(c) ?? Number.NaN);
    }
  }
  if (!plan.needsHistory) return { rows: m, columns };

  const entity = new Int32Array(n);
  const time = new Float64Array(n);
  const entityCode = oneEntity ? null : new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (!Number.isFinite(s.ts)) throw new NsError('NS_VALIDATION', `ts: sample of entity "${s.entity}" has no valid time`, { field: 'ts' });
    time[i] = s.ts;
    if (entityCode) {
      let code = entityCode.get(s.entity);
      if (code === undefined) entityCode.set(s.entity, (code = entityCode.size));
      entity[i] = code;
    }
  }
  historyFeatures(plan, columns, col, { time, entity, oneEntity, emit, rows: m }, (name, order, out) => {
    for (let p = 0; p < n; p++) out[p] = numberOf(samples[order === null ? p : order[p]!]!.values[name]);
  });
  return { rows: m, columns };
}

/** The samples as history features read them: n = time.length samples. */
export interface HistoryInput {
  /** Each sample's time (finite). */
  time: Float64Array;
  /** Each sample's entity code (any numbering); all zero when `oneEntity`. */
  entity: Int32Array;
  oneEntity: boolean;
  /** Matrix row k is sample emit[k] (null: sample k). */
  emit: ArrayLike<number> | null;
  rows: number;
}

/**
 * Writes the lag and rolling features (the plan's columns from `col` on) of the emitted samples.
 * `readSource` fills `out` with a source column's numeric values (NaN = missing) in sorted
 * order: out[p] is sample order[p] (order null: sample p).
 */
export function historyFeatures(plan: Plan, columns: Float64Array[], col: number, input: HistoryInput, readSource: (name: string, order: Int32Array | null, out: Float64Array) => void): void {
  const { time, entity, oneEntity, emit } = input;
  const n = time.length;
  const m = input.rows;
  // Sort once by entity, then time (then input order, for a stable result); samples already in
  // that order (one entity's samples as the store returns them) are not sorted.
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = entity[i - 1]! < entity[i]! || (entity[i - 1] === entity[i] && time[i - 1]! <= time[i]!);
  // order[p]: the sample at sorted position p (null: already sorted, p itself).
  let order: Int32Array | null = null;
  let ts = time;
  let position: Int32Array | null = null;
  if (!sorted) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => entity[a]! - entity[b]! || time[a]! - time[b]! || a - b);
    ts = new Float64Array(n);
    position = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      ts[p] = time[order[p]!]!;
      position[order[p]!] = p;
    }
  }
  const positionOf = (k: number) => {
    const i = emit === null ? k : emit[k]!;
    return position === null ? i : position[i]!;
  };

  // Entity groups [a, b) of the sorted order.
  const groups: number[] = [];
  if (oneEntity) groups.push(0, n);
  else {
    const entityAt = (p: number) => entity[order === null ? p : order[p]!]!;
    for (let a = 0; a < n; ) {
      let b = a + 1;
      while (b < n && entityAt(b) === entityAt(a)) b++;
      groups.push(a, b);
      a = b;
    }
  }
  // Each source column's values in sorted order, read once.
  const values = plan.sources.map((name) => {
    const v = new Float64Array(n);
    readSource(name, order, v);
    return v;
  });

  // One row served with its entity's history (one group): only that row's features are computed.
  const one = m === 1 && groups.length === 2 ? positionOf(0) : -1;
  let outRow: Int32Array | null = null;
  if (one < 0) {
    outRow = new Int32Array(n).fill(-1);
    for (let k = 0; k < m; k++) outRow[positionOf(k)] = k;
  }

  for (const lag of plan.lags) {
    const v = values[lag.source]!;
    const out = columns[col++]!;
    if (outRow === null) {
      // The latest sample at or before ts − lag: binary search for the last position with ts ≤ target.
      const target = ts[one]! - lag.lagMs;
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ts[mid]! <= target) lo = mid + 1;
        else hi = mid;
      }
      if (lo > 0) out[0] = v[lo - 1]!;
    } else for (let g = 0; g < groups.length; g += 2) lagGroup(v, ts, groups[g]!, groups[g + 1]!, lag.lagMs, outRow, out);
  }

  // One row: its entity's windows up to that row and no further (the group [0, one]), written to row 0.
  const rollRows = outRow ?? new Int32Array(one + 1).fill(-1);
  if (outRow === null) rollRows[one] = 0;
  const rollGroups = outRow === null ? [0, one + 1] : groups;
  const minQ = new Int32Array(rollRows.length);
  const maxQ = new Int32Array(rollRows.length);
  const none = new Float64Array(0);
  for (const r of plan.rolling) {
    const v = values[r.source]!;
    const outMean = r.mean >= 0 ? columns[r.mean]! : none;
    const outStd = r.std >= 0 ? columns[r.std]! : none;
    const outMin = r.min >= 0 ? columns[r.min]! : none;
    const outMax = r.max >= 0 ? columns[r.max]! : none;
    for (let g = 0; g < rollGroups.length; g += 2) rollGroup(v, ts, rollGroups[g]!, rollGroups[g + 1]!, r.windowMs, rollRows, outMean, outStd, outMin, outMax, minQ, maxQ);
  }
}

/** One lag feature over one entity group [a, b) of the sorted samples: the latest value at or before ts − lag. */
function lagGroup(v: Float64Array, ts: Float64Array, a: number, b: number, lagMs: number, outRow: Int32Array, out: Float64Array): void {
  let p = a; // first sample after ts − lag
  for (let j = a; j < b; j++) {
    const target = ts[j]! - lagMs;
    while (p < b && ts[p]! <= target) p++;
    const k = outRow[j]!;
    if (k >= 0) out[k] = p > a ? v[p - 1]! : Number.NaN;
  }
}

/**
 * One rolling feature over one entity group [a, b) of the sorted samples: window (ts − w, ts), i.e.
 * earlier samples only. An output array of length 0 is a statistic not asked for.
 */
function rollGroup(
  v: Float64Array,
  ts: Float64Array,
  a: number,
  b: number,
  windowMs: number,
  outRow: Int32Array,
  outMean: Float64Array,
  outStd: Float64Array,
  outMin: Float64Array,
  outMax: Float64Array,
  minQ: Int32Array,
  maxQ: Int32Array,
): void {
  let lo = a;
  let hi = a;
  // Running sums of (x − shift); shift is the first value since the window was last empty.
  let count = 0;
  let shift = 0;
  let sum = 0;
  let sumSq = 0;
  let minHead = 0;
  let minTail = 0;
  let maxHead = 0;
  let maxTail = 0;
  for (let j = a; j < b; j++) {
    const t = ts[j]!;
    for (; hi < b && ts[hi]! < t; hi++) {
      const x = v[hi]!;
      if (Number.isNaN(x)) continue;
      if (count === 0) {
        shift = x;
        sum = 0;
        sumSq = 0;
      }
      const d = x - shift;
      sum += d;
      sumSq += d * d;
      count++;
      while (minTail > minHead && v[minQ[minTail - 1]!]! >= x) minTail--;
      minQ[minTail++] = hi;
      while (maxTail > maxHead && v[maxQ[maxTail - 1]!]! <= x) maxTail--;
      maxQ[maxTail++] = hi;
    }
    for (; lo < hi && ts[lo]! <= t - windowMs; lo++) {
      const x = v[lo]!;
      if (Number.isNaN(x)) continue;
      const d = x - shift;
      sum -= d;
      sumSq -= d * d;
      count--;
      if (minTail > minHead && minQ[minHead] === lo) minHead++;
      if (maxTail > maxHead && maxQ[maxHead] === lo) maxHead++;
    }
    const k = outRow[j]!;
    if (k < 0 || count === 0) continue;
    let meanD = sum / count;
    let variance = count === 1 ? 0 : sumSq / count - meanD * meanD;
    if (count > 1 && variance <= 1e-10 * (sumSq / count)) {
      // Near-constant window: the running sums cancel, so recompute exactly and re-anchor them.
      let total = 0;
      for (let p = lo; p < hi; p++) if (!Number.isNaN(v[p]!)) total += v[p]!;
      shift = total / count;
      sum = 0;
      sumSq = 0;
      for (let p = lo; p < hi; p++) {
        const x = v[p]!;
        if (Number.isNaN(x)) continue;
        sum += x - shift;
        sumSq += (x - shift) * (x - shift);
      }
      meanD = sum / count;
      variance = Math.max(0, sumSq / count - meanD * meanD);
    }
    if (outMean.length > 0) outMean[k] = count === 1 ? v[minQ[minHead]!]! : shift + meanD;
    if (outStd.length > 0) outStd[k] = Math.sqrt(Math.max(0, variance));
    if (outMin.length > 0) outMin[k] = v[minQ[minHead]!]!;
    if (outMax.length > 0) outMax[k] = v[maxQ[maxHead]!]!;
  }
}
