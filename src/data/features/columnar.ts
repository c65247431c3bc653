/**
 * The training transform on a window in columns (SampleColumns, as the store reads it): the same
 * TrainingSet buildTrainingSet makes from the same samples as rows, value for value (same
 * columns, row order, vocabulary, codes, labels and unlabeled count; lag and rolling features
 * through the same code, transform.ts historyFeatures), without an object per row. Proven equal
 * by test/unit/features-columnar.test.ts.
 *
 * The result may share arrays with the window: a continuous column, the labels and the times are
 * the window's own when every row is labeled (and the column holds no ±Infinity, which reads as
 * missing). Neither side is changed afterwards; copy before writing into either.
 */
import { NsError } from '../../errors.ts';
import type { Matrix } from '../../trainers/types.ts';
import type { DatasetSchema, SampleColumns } from '../types.ts';
import { checkSpecAgainstSchema } from './schema-check.ts';
import { featureInfos, isFitted, rawColumnOf, type FeatureSpec } from './spec.ts';
import { categoryOf, historyFeatures, planOf, vocabularyOf, type BuiltTrainingSet, type Plan } from './transform.ts';

/** A raw column of the window: its values, and for a categorical one the categories its codes stand for. */
interface RawColumn {
  values: Float64Array;
  categories: readonly string[] | null;
}

function rawColumn(window: SampleColumns, name: string): RawColumn {
  const f = window.features.findIndex((x) => x.name === name);
  const values = window.columns[f];
  if (f < 0 || !values) throw new NsError('NS_VALIDATION', `featureSpec: "${name}" is not a column of the loaded window`, { field: 'featureSpec' });
  const info = window.features[f]!;
  return { values, categories: info.type === 'categorical' ? (info.categories ?? []) : null };
}

/** buildTrainingSet for a window in columns: every labeled row (in window order) is a training row. */
export function buildTrainingSetFromColumns(window: SampleColumns, spec: FeatureSpec, schema: DatasetSchema): BuiltTrainingSet {
  checkSpecAgainstSchema(spec, schema);
  const fitted = isFitted(spec) ? structuredClone(spec) : fitFeatureSpecFromColumns(spec, window);
  const n = window.rows;
  const { label } = window;
  const binary = schema.label.type === 'binary';
  let m = 0;
  for (let i = 0; i < n; i++) {
    const l = label[i]!;
    if (!Number.isFinite(l)) continue;
    if (binary && l !== 0 && l !== 1) {
      const entity = window.entities[window.entityIndex[i]!]!;
      throw new NsError('NS_VALIDATION', `${schema.label.name}: a binary label must be 0 or 1, got ${l} (entity "${entity}", ts ${window.ts[i]})`, {
        field: schema.label.name,
        details: { entity, ts: window.ts[i] },
      });
    }
    m++;
  }
  let emit: Int32Array | null = null;
  let y = label;
  let ts = window.ts;
  if (m < n) {
    emit = new Int32Array(m);
    y = new Float64Array(m);
    ts = new Float64Array(m);
    for (let i = 0, k = 0; i < n; i++) {
      if (!Number.isFinite(label[i]!)) continue;
      emit[k] = i;
      y[k] = label[i]!;
      ts[k] = window.ts[i]!;
      k++;
    }
  }
  return { features: featureInfos(fitted), X: columnsMatrix(window, planOf(fitted), emit, m), y, ts, spec: fitted, unlabeled: n - m };
}

/** fitFeatureSpec over a window in columns: the same vocabularies from the same counts. */
export function fitFeatureSpecFromColumns(spec: FeatureSpec, window: SampleColumns): FeatureSpec {
  const vocabulary: Record<string, string[]> = {};
  for (const column of spec.categorical) {
    const { values, categories } = rawColumn(window, rawColumnOf(spec, column));
    const counts = new Map<string, number>();
    if (categories !== null) {
      const byCode = new Float64Array(categories.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v >= 0 && v < byCode.length) byCode[v] = byCode[v]! + 1;
      }
      // Each category's count once (the order they are met in does not change the ranking).
      byCode.forEach((count, code) => {
        const c = count > 0 ? categoryOf(categories[code]) : null;
        if (c !== null) counts.set(c, (counts.get(c) ?? 0) + count);
      });
    } else {
      // A numeric column read as categorical: its numbers as text, as categoryOf makes them (0 and −0 alike).
      const byValue = new Map<number, number>();
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (Number.isFinite(v)) byValue.set(v, (byValue.get(v) ?? 0) + 1);
      }
      for (const [v, count] of byValue) {
        const c = String(v);
        counts.set(c, (counts.get(c) ?? 0) + count);
      }
    }
    vocabulary[column] = vocabularyOf(counts, spec.maxCategories);
  }
  return structuredClone({ ...spec, vocabulary });
}

/** computeMatrix for a window in columns: features of row emit[k] (null: every row) as matrix row k. */
function columnsMatrix(window: SampleColumns, plan: Plan, emit: Int32Array | null, m: number): Matrix {
  const columns = new Array<Float64Array>(plan.width);
  const { raw } = plan.layout;
  let col = 0;
  for (const name of raw.continuous) columns[col++] = continuousColumn(rawColumn(window, name).values, emit, m);
  for (let j = 0; j < raw.categorical.length; j++) columns[col++] = categoricalColumn(rawColumn(window, raw.categorical[j]!), plan.codes[j]!, emit, m);
  if (!plan.needsHistory) return { rows: m, columns };

  for (let c = col; c < plan.width; c++) columns[c] = new Float64Array(m).fill(Number.NaN);
  const time = window.ts;
  for (let i = 0; i < time.length; i++) {
    if (!Number.isFinite(time[i]!)) throw new NsError('NS_VALIDATION', `ts: sample of entity "${window.entities[window.entityIndex[i]!]}" has no valid time`, { field: 'ts' });
  }
  historyFeatures(plan, columns, col, { time, entity: window.entityIndex, oneEntity: false, emit, rows: m }, (name, order, out) => {
    const values = rawColumn(window, name).values;
    for (let p = 0; p < out.length; p++) {
      const v = values[order === null ? p : order[p]!]!;
      out[p] = Number.isFinite(v) ? v : Number.NaN;
    }
  });
  return { rows: m, columns };
}

/** A numeric feature's values (±Infinity read as missing, as numberOf does); the window's own column when nothing changes. */
function continuousColumn(values: Float64Array, emit: Int32Array | null, m: number): Float64Array {
  if (emit === null) {
    let finite = true;
    for (let i = 0; i < m && finite; i++) finite = values[i] !== Infinity && values[i] !== -Infinity;
    if (finite) return values;
  }
  const out = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const v = values[emit === null ? k : emit[k]!]!;
    out[k] = Number.isFinite(v) ? v : Number.NaN;
  }
  return out;
}

/** A categorical feature's vocabulary codes (NaN: missing, or not in the vocabulary). */
function categoricalColumn(column: RawColumn, codes: ReadonlyMap<string, number>, emit: Int32Array | null, m: number): Float64Array {
  const { values, categories } = column;
  const out = new Float64Array(m);
  if (categories !== null) {
    // Stored code → vocabulary code, once per category instead of once per row.
    const lut = new Float64Array(categories.length);
    for (let c = 0; c < lut.length; c++) {
      const category = categoryOf(categories[c]);
      lut[c] = category === null ? Number.NaN : (codes.get(category) ?? Number.NaN);
    }
    for (let k = 0; k < m; k++) {
      const v = values[emit === null ? k : emit[k]!]!;
      out[k] = Number.isNaN(v) ? Number.NaN : (lut[v] ?? Number.NaN);
    }
    return out;
  }
  const byValue = new Map<number, number>();
  for (let k = 0; k < m; k++) {
    const v = values[emit === null ? k : emit[k]!]!;
    if (!Number.isFinite(v)) {
      out[k] = Number.NaN;
      continue;
    }
    let code = byValue.get(v);
    if (code === undefined) byValue.set(v, (code = codes.get(String(v)) ?? Number.NaN));
    out[k] = code;
  }
  return out;
}
