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
 */
import { NsError } from '../../errors.ts';
import type { FeatureInfo, Matrix, TrainingSet } from '../../trainers/types.ts';
import type { DatasetSchema, RawSample } from '../types.ts';
import { checkSpecAgainstSchema } from './schema-check.ts';
import { featureInfos, isFitted, outputNames, rawColumnOf, type FeatureSpec, type RollingFeature, type RollingStat } from './spec.ts';

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

const numberOf = (v: unknown): number => {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(x) ? x : Number.NaN;
};

const categoryOf = (v: unknown): string | null =>
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
    vocabulary[column] = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, spec.maxCategories)
      .map(([c]) => c);
  }
  return structuredClone({ ...spec, vocabulary });
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
  return { features: featureInfos(fitted), X: computeMatrix(samples, fitted, emit), y, ts, spec: fitted, unlabeled: samples.length - emit.length };
}

/**
 * Serving: features for `rows` (raw samples; labels ignored), in order. `history` holds earlier raw
 * samples of the same entities (at least requiredHistorySeconds(spec) of them); without it, the
 * lag and rolling features of a single row are NaN (= missing, which GBDT handles), exactly as for
 * an entity's first row in training.
 * History samples of other entities are ignored, and a history sample with the same entity and ts
 * as a row is taken to be that row (it is not counted twice). Rows of one entity are each other's
 * history too, so a batch of consecutive rows can be scored without separate history.
 */
export function transformForServing(spec: FeatureSpec, rows: readonly RawSample[], history: readonly RawSample[] = []): ServingFeatures {
  if (!isFitted(spec)) throw new NsError('NS_VALIDATION', 'featureSpec.vocabulary: the spec is not fitted (build a training set with it first)', { field: 'featureSpec.vocabulary' });
  const entities = new Set(rows.map((r) => r.entity));
  const keys = new Set(rows.map((r) => `${r.entity}\u0000${r.ts}`));
  const kept = history.filter((h) => entities.has(h.entity) && !keys.has(`${h.entity}\u0000${h.ts}`));
  const all = kept.length === 0 ? rows : [...kept, ...rows];
  const emit = rows.map((_, i) => kept.length + i);
  return { features: featureInfos(spec), X: computeMatrix(all, spec, emit) };
}

/** The shared core: features of samples[emit[k]] as matrix row k, using all samples as history. */
function computeMatrix(samples: readonly RawSample[], spec: FeatureSpec, emit: readonly number[]): Matrix {
  const n = samples.length;
  const m = emit.length;
  const columns = outputNames(spec).map(() => new Float64Array(m).fill(Number.NaN));
  let col = 0;

  for (const column of spec.continuous) {
    const raw = rawColumnOf(spec, column);
    const out = columns[col++]!;
    emit.forEach((i, k) => (out[k] = numberOf(samples[i]!.values[raw])));
  }
  for (const column of spec.categorical) {
    const raw = rawColumnOf(spec, column);
    const codes = new Map((spec.vocabulary?.[column] ?? []).map((c, code) => [c, code] as const));
    const out = columns[col++]!;
    emit.forEach((i, k) => {
      const c = categoryOf(samples[i]!.values[raw]);
      out[k] = c === null ? Number.NaN : (codes.get(c) ?? Number.NaN);
    });
  }
  if (spec.lags.length === 0 && spec.rolling.length === 0) return { rows: m, columns };

  // Sort once by entity, then time (then input order, for a stable result).
  for (const s of samples) {
    if (!Number.isFinite(s.ts)) throw new NsError('NS_VALIDATION', `ts: sample of entity "${s.entity}" has no valid time`, { field: 'ts' });
  }
  const entityCode = new Map<string, number>();
  const entity = new Int32Array(n);
  const time = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    let code = entityCode.get(s.entity);
    if (code === undefined) entityCode.set(s.entity, (code = entityCode.size));
    entity[i] = code;
    time[i] = s.ts;
  }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => entity[a]! - entity[b]! || time[a]! - time[b]! || a - b);
  const ts = new Float64Array(n);
  const position = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    ts[p] = time[order[p]!]!;
    position[order[p]!] = p;
  }
  const outRow = new Int32Array(n).fill(-1);
  for (let k = 0; k < m; k++) outRow[position[emit[k]!]!] = k;

  const groups: Array<[number, number]> = [];
  for (let a = 0; a < n; ) {
    let b = a + 1;
    while (b < n && entity[order[b]!] === entity[order[a]!]) b++;
    groups.push([a, b]);
    a = b;
  }
  const sortedValues = new Map<string, Float64Array>();
  const valuesOf = (column: string): Float64Array => {
    let v = sortedValues.get(column);
    if (!v) {
      const raw = rawColumnOf(spec, column);
      v = new Float64Array(n);
      for (let p = 0; p < n; p++) v[p] = numberOf(samples[order[p]!]!.values[raw]);
      sortedValues.set(column, v);
    }
    return v;
  };

  for (const lag of spec.lags) {
    const v = valuesOf(lag.column);
    const out = columns[col++]!;
    const lagMs = lag.lagSeconds * 1000;
    for (const [a, b] of groups) {
      let p = a; // first sample after ts − lag
      for (let j = a; j < b; j++) {
        const target = ts[j]! - lagMs;
        while (p < b && ts[p]! <= target) p++;
        const k = outRow[j]!;
        if (k >= 0) out[k] = p > a ? v[p - 1]! : Number.NaN;
      }
    }
  }

  const minQ = new Int32Array(n);
  const maxQ = new Int32Array(n);
  for (const r of spec.rolling) {
    const outs = r.stats.map(() => columns[col++]!);
    rollWindow(r, valuesOf(r.column), ts, groups, outRow, outs, minQ, maxQ);
  }
  return { rows: m, columns };
}

/** One rolling feature over every entity group: window (ts − w, ts), i.e. earlier samples only, in sorted order. */
function rollWindow(
  r: RollingFeature,
  v: Float64Array,
  ts: Float64Array,
  groups: ReadonlyArray<readonly [number, number]>,
  outRow: Int32Array,
  outs: Float64Array[],
  minQ: Int32Array,
  maxQ: Int32Array,
): void {
  const windowMs = r.windowSeconds * 1000;
  const outOf = (stat: RollingStat) => (r.stats.includes(stat) ? outs[r.stats.indexOf(stat)]! : null);
  const outMean = outOf('mean');
  const outStd = outOf('std');
  const outMin = outOf('min');
  const outMax = outOf('max');
  for (const [a, b] of groups) {
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
      if (outMean) outMean[k] = count === 1 ? v[minQ[minHead]!]! : shift + meanD;
      if (outStd) outStd[k] = Math.sqrt(Math.max(0, variance));
      if (outMin) outMin[k] = v[minQ[minHead]!]!;
      if (outMax) outMax[k] = v[maxQ[maxHead]!]!;
    }
  }
}
