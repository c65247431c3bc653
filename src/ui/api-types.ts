/** The API's JSON shapes the dashboard reads (src/api/schemas.ts, model-dto.ts, routes/assessments.ts, alerts.ts, notifications.ts, audit.ts). */
export type Iso = string;

export interface RunError {
  code: string;
  message: string | null;
  context: Record<string, unknown> | null;
}

export interface Run {
  id: string;
  tenantId: string;
  jobId: string;
  scheduleId: string | null;
  slotAt: Iso | null;
  trigger: string;
  status: string;
  attempt: number;
  maxAttempts: number;
  queuedAt: Iso;
  runAt: Iso;
  startedAt: Iso | null;
  finishedAt: Iso | null;
  durationMs: number | null;
  lateMs: number | null;
  eta: Iso | null;
  exitCode: number | null;
  outcome: string | null;
  reason: string | null;
  error: RunError | null;
  metrics: Record<string, number>;
  parentRunId: string | null;
}

export interface RunAttempt {
  attempt: number;
  status: string;
  worker: string;
  startedAt: Iso;
  finishedAt: Iso | null;
  durationMs: number | null;
  exitCode: number | null;
  error: string | null;
}

export interface RunStage {
  attempt: number;
  stage: string;
  startedAt: Iso;
  endedAt: Iso;
  durationMs: number;
  counts: Record<string, number>;
  note: string | null;
}

export interface RunDetail extends Run {
  steps: Array<Record<string, unknown>>;
  logTail: string;
  params: Record<string, unknown> | null;
  attempts: RunAttempt[];
  stages: RunStage[];
  result: Record<string, unknown> | null;
  assessment: Assessment | null;
}

export interface RunPage {
  runs: Run[];
  nextCursor: string | null;
}

export interface Schedule {
  id: string;
  tenantId: string;
  jobId: string;
  cron: string | null;
  everyMs: number | null;
  timezone: string;
  enabled: boolean;
  jitterMs: number;
  misfireGraceMs: number;
  catchUp: string;
  catchUpMax: number;
  overlap: string;
  description: string;
  nextSlotAt: Iso | null;
  nextRuns: Iso[];
  nextRunsLocal: string[];
  updatedAt: Iso;
}

export interface Slot {
  slotAt: Iso;
  fate: 'fired' | 'fired_late' | 'skipped' | 'missed';
  reason: string | null;
  lateMs: number;
  runId: string | null;
  decidedAt: Iso;
  decidedBy: string;
}

export interface Tenant {
  id: string;
  name: string;
  timezone: string;
}

/** GET /health/summary: one store ping and this process's loops (the full /health is a super admin's). */
export interface HealthSummary {
  status: 'ok' | 'unavailable';
  reasons: string[];
  store: { dialect: string; reachable: boolean; error?: string; wal?: boolean };
  scheduler: string;
  workers: string;
  running: number;
  concurrency: number;
  node: string;
  draining: boolean;
}

export interface ThresholdCheck {
  check: 'threshold';
  metric: string;
  value: number | null;
  bound: number;
  direction: 'min' | 'max';
  passed: boolean;
}

export interface ChangeCheck {
  check: 'change';
  metric: string;
  candidate: number | null;
  champion: number | null;
  championVersion: number;
  maxDecrease: number | null;
  maxRelativeDecrease: number | null;
  limit: number | null;
  passed: boolean;
}

export interface Version {
  tenantId: string;
  model: string;
  version: number;
  name: string;
  trainer: string;
  mode: string;
  dataWindow: { since: Iso; until: Iso } | null;
  samples: { train: number; holdout: number };
  metrics: Record<string, number | null>;
  gate: { passed: boolean; reasons: Array<ThresholdCheck | ChangeCheck> };
  trainingMs: number;
  trigger: string;
  runId: string | null;
  wasChampion: boolean;
  createdAt: Iso;
}

export interface ModelDefinition {
  name: string;
  description: string;
  task: 'binary' | 'regression';
  dataset: string;
  primaryMetric: string;
  features: { continuous: string[]; categorical: string[]; lags: unknown[]; rolling: unknown[] };
  gate: { thresholds: Record<string, number>; change: { metric: string } | null };
  retrain?: { minLiveMetric: { metric: string; min: number } | null } | null;
  predict?: { require: string[] };
}

export interface Model {
  tenantId: string;
  name: string;
  jobId: string;
  origin: string;
  definition: ModelDefinition;
  champion: Version | null;
}

/** One row of GET /api/models/overview. */
export interface ModelOverview {
  tenantId: string;
  model: string;
  jobId: string;
  description: string;
  task: string;
  primaryMetric: string;
  champion: { version: number; name: string; createdAt: Iso; metrics: Record<string, number | null> } | null;
  lastRun: Run | null;
  nextSlotAt: Iso | null;
  /** The champion's latest live point and the monitor's trend of its latest points; null before labels arrive. */
  live: ChampionLive | null;
}

/** A Theil–Sen trend as the monitor judges it (insufficient: too few points). */
export interface TrendResult {
  trend: 'improving' | 'stable' | 'declining' | 'insufficient';
  slope: number | null;
  change: number | null;
  points: number;
}

export interface ChampionLive {
  metric: string;
  value: number;
  accuracy: number | null;
  labelled: number;
  version: number;
  at: Iso;
  trend: TrendResult;
}

export interface AliasChange {
  revision: number;
  version: number;
  previousVersion: number | null;
  action: 'promote' | 'rollback';
  reason: string | null;
  actor: string | null;
  runId: string | null;
  at: Iso;
}

export interface LivePoint {
  value: number | null;
  rows: number;
}

export interface LiveMetric {
  metric: string;
  since: Iso;
  champion: (LivePoint & { version: number; daily: Array<LivePoint & { day: string }> }) | null;
  shadow: (LivePoint & { version: number }) | null;
}

export interface AssessmentRule {
  rule: 'minNewSamples' | 'minLiveMetric' | 'maxDaysSinceTraining' | 'drift';
  value: number | null;
  threshold: number;
  verdict: 'retrain' | 'ok' | 'not_evaluated';
  detail: string;
}

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  rows: number;
  psi: number;
  ks: { d: number; pValue: number } | null;
  drifted: boolean;
  by: string[];
}

export interface Assessment {
  train: boolean;
  reason: string;
  summary: string;
  combine: 'any' | 'all';
  rules: AssessmentRule[];
  champion: { version: number; trainedUntil: Iso | null; createdAt: Iso } | null;
  counts: { newSamples: number | null; liveRows: number | null; driftRows: number | null };
  window: { since: Iso | null; until: Iso };
  drift: { columns: ColumnDrift[]; drifted: boolean; driftedShare: number; rows: number } | null;
}

export interface StoredAssessment {
  id: string;
  runId: string | null;
  at: Iso;
  assessment: Assessment;
}

export interface Prediction {
  prediction: number;
  probability?: number;
  score?: number;
  filled?: { missing: string[]; unseen: string[] };
}

export interface PredictResult {
  tenantId: string;
  model: string;
  version: number;
  versionName: string;
  predictions: Prediction[];
}

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface Alert {
  id: string;
  tenantId: string;
  model: string | null;
  subject: string | null;
  type: string;
  severity: 'warning' | 'critical';
  status: AlertStatus;
  message: string;
  value: number | null;
  threshold: number | null;
  openedAt: Iso;
  acknowledgedAt: Iso | null;
  acknowledgedBy: string | null;
  resolvedAt: Iso | null;
  resolution: string | null;
}

export interface Notification {
  id: string;
  tenant: string;
  channel: string;
  event: string;
  idempotencyKey: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  nextAttemptAt: Iso | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Iso;
  deliveredAt: Iso | null;
  payload: Record<string, unknown>;
}

export interface DeliveryAttempt {
  attempt: number;
  at: Iso;
  node: string;
  durationMs: number;
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

export interface AuditEntry {
  id: string;
  at: Iso;
  tenantId: string | null;
  subject: string;
  keyId: string | null;
  via: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
}
