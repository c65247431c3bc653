/**
 * Holdout metrics. Pure and deterministic: the same inputs always give the same numbers.
 *
 * Classification (yTrue 0/1, yPred = P(y = 1)); a row is predicted positive when yPred ≥ threshold.
 * - auc: exact Mann–Whitney U / (n₁·n₀) with tied scores given their average rank. When only one
 *   class is present (or there are no rows) AUC is undefined; it is reported as 0.5 (chance).
 * - logloss: mean −[y·ln p + (1−y)·ln(1−p)] with p clipped to [1e−15, 1 − 1e−15].
 * - precision = TP/(TP+FP), 0 when nothing is predicted positive; recall = TP/(TP+FN), 0 when there
 *   are no positives; f1 = 2PR/(P+R), 0 when P + R = 0 (scikit-learn's zero_division=0).
 * - With no rows, accuracy, logloss, precision, recall and f1 are 0.
 *
 * Regression: mae, rmse, and r2 = 1 − SS_res/SS_tot. When SS_tot = 0 (constant y, or one row) r2
 * is 1 if the predictions are exact (SS_res = 0) and 0 otherwise (scikit-learn's force_finite).
 * With no rows every regression metric is 0.
 */
import { NsError } from '../errors.ts';
import type { ClassificationMetrics, Metrics, RegressionMetrics } from './evaluate-types.ts';
import type { Task } from './types.ts';

export const LOGLOSS_EPS = 1e-15;

export interface EvaluateOptions {
  /** Classification cut-off for accuracy/precision/recall/F1; default 0.5. */
  threshold?: number;
}

type Values = ArrayLike<number>;

export function evaluate(task: 'binary', yTrue: Values, yPred: Values, options?: EvaluateOptions): ClassificationMetrics;
export function evaluate(task: 'regression', yTrue: Values, yPred: Values, options?: EvaluateOptions): RegressionMetrics;
export function evaluate(task: Task, yTrue: Values, yPred: Values, options?: EvaluateOptions): Metrics;
export function evaluate(task: Task, yTrue: Values, yPred: Values, options: EvaluateOptions = {}): Metrics {
  if (yTrue.length !== yPred.length) {
    throw new NsError('NS_VALIDATION', `yPred: has ${yPred.length} predictions for ${yTrue.length} labels`, { field: 'yPred' });
  }
  for (let i = 0; i < yPred.length; i++) {
    if (!Number.isFinite(yPred[i]!)) {
      throw new NsError('NS_VALIDATION', `yPred[${i}]=${yPred[i]}: predictions must be finite numbers`, { field: 'yPred' });
    }
  }
  if (task === 'binary') return classificationMetrics(yTrue, yPred, options.threshold ?? 0.5);
  for (let i = 0; i < yTrue.length; i++) {
    if (!Number.isFinite(yTrue[i]!)) {
      throw new NsError('NS_VALIDATION', `yTrue[${i}]=${yTrue[i]}: regression labels must be finite numbers`, { field: 'yTrue' });
    }
  }
  return regressionMetrics(yTrue, yPred);
}

function classificationMetrics(yTrue: Values, yPred: Values, threshold: number): ClassificationMetrics {
  if (!Number.isFinite(threshold)) {
    throw new NsError('NS_VALIDATION', `threshold=${threshold}: must be a finite number; example 0.5`, { field: 'threshold' });
  }
  const n = yTrue.length;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i]!;
    if (y !== 0 && y !== 1) {
      throw new NsError('NS_VALIDATION', `yTrue[${i}]=${y}: binary labels must be 0 or 1; example 1`, { field: 'yTrue' });
    }
    const p = yPred[i]!;
    const clipped = Math.min(Math.max(p, LOGLOSS_EPS), 1 - LOGLOSS_EPS);
    loss -= y === 1 ? Math.log(clipped) : Math.log(1 - clipped);
    if (p >= threshold) {
      if (y === 1) tp++;
      else fp++;
    } else if (y === 1) fn++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  return {
    auc: auc(yTrue, yPred),
    logloss: n === 0 ? 0 : loss / n,
    accuracy: n === 0 ? 0 : (tp + tn) / n,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    threshold,
    rows: n,
  };
}

/**
 * Larger inputs take the comparator sort: the fast path's rank sums stay exact integers (or halves)
 * in a double only below ~2^53 / n.
 */
const FAST_AUC_MAX_ROWS = 1 << 26;

/** Exact ROC AUC by rank statistics (Mann–Whitney U), ties averaged; 0.5 when one class is absent. */
export function auc(yTrue: Values, yPred: Values): number {
  const n = yTrue.length;
  if (n <= FAST_AUC_MAX_ROWS) {
    const fast = sortedAuc(yTrue, yPred);
    if (fast !== null) return fast;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => yPred[a]! - yPred[b]! || a - b);
  let positives = 0;
  let rankSumPositives = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && yPred[order[end]!] === yPred[order[start]!]) end++;
    const averageRank = (start + 1 + end) / 2; // ranks start+1 … end
    for (let k = start; k < end; k++) {
      if (yTrue[order[k]!] === 1) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * auc without sorting row indexes with a comparator: all scores and the positives' scores are each
 * sorted natively (numbers in place), then walked together one group of tied scores at a time. The
 * same rank sum as auc's loop, exactly: every term is a whole or half number and every partial sum
 * stays below 2^53. Null when a score is NaN (auc's comparator order decides those).
 */
function sortedAuc(yTrue: Values, yPred: Values): number | null {
  const n = yTrue.length;
  const all = new Float64Array(n);
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const p = yPred[i]!;
    if (Number.isNaN(p)) return null;
    all[i] = p;
    if (yTrue[i] === 1) positives++;
  }
  const mine = new Float64Array(positives);
  for (let i = 0, j = 0; i < n; i++) if (yTrue[i] === 1) mine[j++] = all[i]!;
  all.sort();
  mine.sort();
  let rankSumPositives = 0;
  // −0 sorts just before 0 and equals it: both fall in one group, as in auc's loop.
  for (let start = 0, j = 0; start < n; ) {
    const score = all[start]!;
    let end = start + 1;
    while (end < n && all[end] === score) end++;
    let tied = 0;
    while (j < positives && mine[j] === score) {
      j++;
      tied++;
    }
    rankSumPositives += tied * ((start + 1 + end) / 2);
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return 0.5;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function regressionMetrics(yTrue: Values, yPred: Values): RegressionMetrics {
  const n = yTrue.length;
  if (n === 0) return { r2: 0, mae: 0, rmse: 0, rows: 0 };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let absSum = 0;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const e = yTrue[i]! - yPred[i]!;
    absSum += Math.abs(e);
    ssRes += e * e;
    ssTot += (yTrue[i]! - mean) ** 2;
  }
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  return { r2, mae: absSum / n, rmse: Math.sqrt(ssRes / n), rows: n };
}
