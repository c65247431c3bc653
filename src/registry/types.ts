/** The registry's public shapes: what a training run registers, and what readers get back. */
import type { Executor } from '../store/db.ts';

export const CHAMPION = 'champion';

export const TRAINING_MODES = ['full', 'incremental'] as const;
export type TrainingMode = (typeof TRAINING_MODES)[number];

export const ALIAS_ACTIONS = ['promote', 'rollback'] as const;
export type AliasAction = (typeof ALIAS_ACTIONS)[number];

/** The validation gate's verdict and every check behind it (stored as given). */
export interface GateVerdict {
  passed: boolean;
  reasons: readonly unknown[];
}

/** Training data window: since inclusive, until exclusive (epoch ms). */
export interface DataWindow {
  since: number;
  until: number;
}

export interface NewModelVersion {
  tenantId: string;
  modelName: string;
  trainer: string;
  params: Record<string, unknown>;
  mode: TrainingMode;
  /** The version an incremental update continued from; null for a full training. */
  parentVersion?: number | null;
  /** Null for a model that was not trained here (an imported one). */
  dataWindow: DataWindow | null;
  samples: { train: number; holdout: number };
  /** Metric name → value on the holdout (null when undefined, e.g. R² of a constant target). */
  metrics: Record<string, number | null>;
  gate: GateVerdict;
  trainingMs: number;
  /** What started the training: 'schedule', 'manual', 'policy', 'import', … */
  trigger: string;
  runId?: string | null;
  /** The champion version the candidate was scored against (null: there was none). */
  comparedTo?: number | null;
  /** The training window's reference profile (src/policy/profile.ts), stored beside the version for drift. */
  profile?: unknown;
}

export interface ModelVersion {
  tenantId: string;
  modelName: string;
  version: number;
  /** `${modelName}_${tenantId}_v${version}`, e.g. failure_tenant_1_v3. */
  name: string;
  trainer: string;
  params: Record<string, unknown>;
  mode: TrainingMode;
  parentVersion: number | null;
  dataWindow: DataWindow | null;
  samples: { train: number; holdout: number };
  metrics: Record<string, number | null>;
  gate: GateVerdict;
  artifact: { sha256: string; size: number };
  trainingMs: number;
  trigger: string;
  runId: string | null;
  /** Has held the champion alias (retention keeps it). */
  wasChampion: boolean;
  createdAt: number;
  comparedTo: number | null;
}

export interface VersionPage {
  items: ModelVersion[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: number | null;
}

/** One change of an alias. */
export interface AliasChange {
  tenantId: string;
  modelName: string;
  alias: string;
  /** 1, 2, 3 … per (tenant, model, alias), without gaps. */
  revision: number;
  version: number;
  previousVersion: number | null;
  action: AliasAction;
  reason: string | null;
  actor: string | null;
  runId: string | null;
  at: number;
}

export interface AliasUpdate {
  /** False when the alias already pointed at the version: nothing was written. */
  changed: boolean;
  /** The change written, or the latest one when nothing changed. */
  change: AliasChange;
}

/**
 * Runs first inside the write transaction of a registration, promotion or rollback, before anything
 * is written (e.g. checks that a training run still holds its lease). If it throws, nothing is
 * written and the error reaches the caller.
 */
export type WriteFence = (tx: Executor) => Promise<void>;

export interface WriteOptions {
  fence?: WriteFence;
}

export interface PromoteOptions extends WriteOptions {
  reason: string;
  /**
   * Conditional promotion: the champion version the caller based its decision on (null = none).
   * When the champion changed meanwhile the promotion fails with NS_CONFLICT.
   */
  expectedCurrent?: number | null;
  actor?: string | null;
  runId?: string | null;
}

export type RollbackOptions = PromoteOptions;

export interface RetentionResult {
  deleted: number[];
  artifactsRemoved: number;
}

export interface SweepResult {
  tempFiles: number;
  unreferenced: number;
}
