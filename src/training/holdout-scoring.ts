/**
 * What a training and an ONNX import share when scoring a candidate and the champion on the same
 * fresh holdout: the rows of the window proper, the champion's features for the holdout rows, and
 * the holdout metrics.
 */
import type { BuiltTrainingSet } from '../data/features/index.ts';
import type { DatasetSchema } from '../data/types.ts';
import { NsError } from '../errors.ts';
import { evaluate } from '../trainers/evaluate.ts';
import { subsetRows, timeHoldout } from '../trainers/holdout.ts';
import type { Matrix, TrainingSet } from '../trainers/types.ts';
import { DEFAULT_THRESHOLD } from '../serving/predictor.ts';
import type { ArtifactModel } from './artifact-model.ts';
import type { ModelDefinition } from './model-definition.ts';
import { buildWindowSet, type TrainingWindow } from './training-window.ts';

/** The labeled rows at or after `since` (older ones were loaded only as history for lags). */
export function rowsSince(set: TrainingSet, since: number): TrainingSet {
  const ts = set.ts!;
  // Counted first: a full window (every row kept, the common case) builds no list of its rows.
  let kept = 0;
  for (let i = 0; i < ts.length; i++) if (ts[i]! >= since) kept++;
  if (kept === ts.length) return set;
  const keep = new Int32Array(kept);
  for (let i = 0, k = 0; i < ts.length; i++) if (ts[i]! >= since) keep[k++] = i;
  return subsetRows(set, keep);
}

/**
 * The champion's features for the holdout rows. With the same fitted spec they are the
 * candidate's; otherwise (the declaration changed since) the champion's own spec is applied to the
 * same window, whose labeled rows come out in the same order.
 */
export function championMatrix(champion: ArtifactModel, built: BuiltTrainingSet, window: TrainingWindow, schema: DatasetSchema, valid: TrainingSet, fresh: TrainingSet): Matrix {
  if (JSON.stringify(champion.featureSpec) === JSON.stringify(built.spec)) return valid.X;
  const theirs = buildWindowSet(window, champion.featureSpec, schema);
  let first = Infinity;
  for (const t of fresh.ts ?? []) if (t < first) first = t;
  return timeHoldout(rowsSince(theirs, first), valid.X.rows / fresh.X.rows).valid.X;
}

/**
 * Holdout metrics (undefined ones as null). A model that predicts a non-finite value is refused:
 * `onBad` says whose fault that is (a 400 for an imported file, a store problem for a champion).
 */
export function holdoutMetrics(
  def: ModelDefinition,
  y: Float64Array,
  predicted: Float64Array,
  threshold = DEFAULT_THRESHOLD,
  onBad: (message: string) => NsError = (message) => new NsError('NS_INTERNAL', message),
): Record<string, number | null> {
  for (let i = 0; i < predicted.length; i++) {
    if (!Number.isFinite(predicted[i]!)) {
      throw onBad(`the model gave ${predicted[i]} for holdout row ${i}; it must give a finite ${def.task === 'binary' ? 'probability' : 'value'} for every row (missing inputs are NaN)`);
    }
  }
  const m = evaluate(def.task, y, predicted, { threshold }) as unknown as Record<string, number>;
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(m)) if (k !== 'rows') out[k] = Number.isFinite(v) ? v : null;
  return out;
}
