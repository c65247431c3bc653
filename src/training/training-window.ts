/**
 * The window a training loads, and its features. A source that reads columns (the built-in store)
 * is read as columns, which buildTrainingSetFromColumns turns into the same TrainingSet
 * buildTrainingSet makes from rows, without an object per sample; the others (CSV, SQL) return
 * rows. The window is kept until the holdout is scored: a champion whose spec differs from the
 * candidate's gets its features from it (holdout-scoring.ts championMatrix).
 */
import { buildTrainingSet, buildTrainingSetFromColumns, type BuiltTrainingSet, type FeatureSpec } from '../data/features/index.ts';
import type { DataSource, DataWindow, DatasetSchema, RawSample, SampleColumns } from '../data/types.ts';

export type TrainingWindow = { kind: 'columns'; columns: SampleColumns } | { kind: 'rows'; samples: readonly RawSample[] };

export async function loadTrainingWindow(source: DataSource, tenantId: string, window: DataWindow, options: { signal?: AbortSignal; threads: number }): Promise<TrainingWindow> {
  if (source.loadColumns) return { kind: 'columns', columns: await source.loadColumns(tenantId, window, options) };
  return { kind: 'rows', samples: await source.load(tenantId, window, options.signal) };
}

/** Samples in the window (labeled or not). */
export const windowSamples = (w: TrainingWindow): number => (w.kind === 'columns' ? w.columns.rows : w.samples.length);

/** The window's training set under `spec` (see buildTrainingSet). */
export function buildWindowSet(w: TrainingWindow, spec: FeatureSpec, schema: DatasetSchema): BuiltTrainingSet {
  return w.kind === 'columns' ? buildTrainingSetFromColumns(w.columns, spec, schema) : buildTrainingSet(w.samples, spec, schema);
}
