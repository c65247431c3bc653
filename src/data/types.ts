/**
 * A tenant's dataset: its declared schema and the raw samples in it. Raw samples are what ingest
 * accepts and what data sources return; feature engineering turns them into a TrainingSet.
 */
import type { FeatureInfo } from '../trainers/types.ts';

export type ColumnType = 'numeric' | 'categorical';
export type LabelType = 'binary' | 'numeric';

export interface DatasetSchema {
  /** Dataset id, unique per tenant (`^[a-z0-9][a-z0-9_.-]{0,63}$`). */
  id: string;
  tenantId: string;
  /** Column naming the entity a row belongs to (a device, a machine, a user). */
  entityKey: string;
  /** Column holding the row's time (ISO-8601 string or epoch ms). */
  timestamp: string;
  features: ReadonlyArray<{ name: string; type: ColumnType; nullable: boolean }>;
  label: { name: string; type: LabelType; nullable: boolean };
}

/** One validated row. Categorical values stay strings here; encoding happens in feature engineering. */
export interface RawSample {
  entity: string;
  ts: number;
  values: Record<string, number | string | null>;
  label: number | null;
}

/**
 * A window of samples in columns, the fast form of RawSample[] (no object per row): row i is the
 * sample (entities[entityIndex[i]], ts[i], feature f = columns[f][i], label[i]), in the same order
 * the rows would come in.
 */
export interface SampleColumns {
  rows: number;
  /** The dataset's features in schema order; a categorical one with its values (code c ↔ categories[c]). */
  features: FeatureInfo[];
  /** columns[f][i]: feature f of row i, NaN = missing; a categorical as its code into features[f].categories. */
  columns: Float64Array[];
  ts: Float64Array;
  /** NaN = missing label. */
  label: Float64Array;
  /** Row i belongs to entities[entityIndex[i]]; entities are numbered in order of first appearance. */
  entityIndex: Int32Array;
  entities: string[];
}

/** The time window a training run loads. */
export interface DataWindow {
  since: number;
  until: number;
}

/** Where a model's rows come from; every source is asked per tenant. */
export interface DataSource {
  readonly kind: 'store' | 'sql' | 'csv';
  load(tenantId: string, window: DataWindow, signal?: AbortSignal): Promise<RawSample[]>;
  /**
   * The same window as columns (a source that can read them without building rows). `threads`:
   * how many threads the read may use.
   */
  loadColumns?(tenantId: string, window: DataWindow, options?: { signal?: AbortSignal; threads?: number }): Promise<SampleColumns>;
}

export const DEFAULT_DATA_RANGE_DAYS = 180;
