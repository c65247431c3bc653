/**
 * A tenant's dataset: its declared schema and the raw samples in it. Raw samples are what ingest
 * accepts and what data sources return; feature engineering turns them into a TrainingSet.
 */

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

/** The time window a training run loads. */
export interface DataWindow {
  since: number;
  until: number;
}

/** Where a model's rows come from; every source is asked per tenant. */
export interface DataSource {
  readonly kind: 'store' | 'sql' | 'csv';
  load(tenantId: string, window: DataWindow, signal?: AbortSignal): Promise<RawSample[]>;
}

export const DEFAULT_DATA_RANGE_DAYS = 180;
