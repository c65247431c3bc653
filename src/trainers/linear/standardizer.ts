/**
 * Column encoding and standardisation for the linear models.
 *
 * - A numeric feature is one input column. A categorical feature with a `categories` list is one-hot
 *   encoded (one indicator column per category); codes outside 0…k−1 or NaN count as missing. A
 *   categorical feature without `categories` is treated as numeric.
 * - Each input column is standardised z = (x − mean) / std with mean/std learned on the first fit
 *   (missing values ignored). A missing value is imputed with the stored mean, i.e. z = 0.
 * - The statistics are kept FIXED by partialFit: the weights are expressed in standardised units, so
 *   moving the mean/std would silently change what every old weight means. If the data drift far
 *   from the first window, train in full mode to relearn them.
 * - A column with zero (or no measurable) spread gets std 1, so it contributes a constant 0; a
 *   column with no observed values gets mean 0, std 1.
 */
import { NsError } from '../../errors.ts';
import type { FeatureInfo, Matrix } from '../types.ts';

/** One input column of the model: feature index, and the category index for one-hot columns. */
export interface InputColumn {
  feature: number;
  category: number;
}

export interface Standardizer {
  readonly layout: readonly InputColumn[];
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/** The model's input columns for `features` (numeric → 1 column, categorical → k columns). */
export function inputLayout(features: readonly FeatureInfo[]): InputColumn[] {
  const layout: InputColumn[] = [];
  features.forEach((f, feature) => {
    if (f.type === 'categorical' && f.categories !== undefined) {
      for (let category = 0; category < f.categories.length; category++) layout.push({ feature, category });
    } else {
      layout.push({ feature, category: -1 });
    }
  });
  return layout;
}

/** Value of input column (`category` < 0: numeric) for a raw cell; NaN = missing (incl. unknown codes, ±∞). */
function inputValue(raw: number, category: number, codes: number): number {
  if (category < 0) return Number.isFinite(raw) ? raw : Number.NaN;
  return isKnownCode(raw, codes) ? (raw === category ? 1 : 0) : Number.NaN;
}

/** Throws NS_VALIDATION unless X has one column of `rows` values per feature. */
export function checkMatrix(features: readonly FeatureInfo[], X: Matrix): void {
  if (X.columns.length !== features.length) {
    throw new NsError('NS_VALIDATION', `X: expected ${features.length} feature columns, got ${X.columns.length}`, { field: 'X' });
  }
  X.columns.forEach((col, j) => {
    if (col.length !== X.rows) {
      throw new NsError('NS_VALIDATION', `X.columns[${j}] (${features[j]?.name}): has ${col.length} values for ${X.rows} rows`, {
        field: 'X',
      });
    }
  });
}

/** Learns mean/std per input column from X, ignoring missing values. */
export function fitStandardizer(features: readonly FeatureInfo[], X: Matrix): Standardizer {
  checkMatrix(features, X);
  const layout = inputLayout(features);
  const mean = new Float64Array(layout.length);
  const std = new Float64Array(layout.length);
  layout.forEach(({ feature, category }, c) => {
    const column = X.columns[feature]!;
    const codes = features[feature]!.categories?.length ?? 0;
    let n = 0;
    let m = 0;
    let s = 0; // Welford
    for (let i = 0; i < X.rows; i++) {
      const x = inputValue(column[i]!, category, codes);
      if (Number.isNaN(x)) continue;
      n++;
      const d = x - m;
      m += d / n;
      s += d * (x - m);
    }
    const sd = n > 0 ? Math.sqrt(s / n) : 0;
    mean[c] = n > 0 ? m : 0;
    std[c] = sd > 1e-12 * Math.max(1, Math.abs(m)) && Number.isFinite(sd) ? sd : 1;
  });
  return { layout, mean, std };
}

function isKnownCode(code: number, codes: number): boolean {
  return Number.isInteger(code) && code >= 0 && code < codes;
}

/**
 * Encodes one row into `out` (length = layout.length): standardised values, missing → 0. Built
 * once per call site by `rowEncoder` so the per-row loop has no allocation.
 */
export function rowEncoder(features: readonly FeatureInfo[], st: Standardizer, X: Matrix): (row: number, out: Float64Array) => void {
  checkMatrix(features, X);
  const width = st.layout.length;
  const columns = st.layout.map(({ feature }) => X.columns[feature]!);
  const categories = st.layout.map(({ category }) => category);
  const codes = st.layout.map(({ feature }) => features[feature]!.categories?.length ?? 0);
  const { mean, std } = st;
  return (row, out) => {
    for (let c = 0; c < width; c++) {
      const x = inputValue(columns[c]![row]!, categories[c]!, codes[c]!);
      out[c] = Number.isNaN(x) ? 0 : (x - mean[c]!) / std[c]!;
    }
  };
}
