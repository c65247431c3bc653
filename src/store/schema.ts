/** Row types of every table, as Kysely sees them. Times are epoch milliseconds; flags are 0/1. */
export interface TenantsTable {
  id: string;
  name: string;
  timezone: string;
  created_at: number;
  updated_at: number;
}

export interface JobsTable {
  id: string;
  kind: string;
  role: string | null;
  /** The whole JobDefinition as JSON: the run engine reads it when it executes a run. */
  spec: string;
  created_at: number;
  updated_at: number;
}

export interface SchedulesTable {
  id: string;
  tenant_id: string;
  job_id: string;
  cron: string | null;
  every_ms: number | null;
  timezone: string;
  enabled: number;
  jitter_ms: number;
  misfire_grace_ms: number;
  catch_up: string;
  catch_up_max: number;
  overlap: string;
  /** Hash of the timing fields: when it changes, the next slot is planned anew. */
  timing_hash: string;
  /** The oldest slot not yet decided. */
  next_slot_at: number | null;
  /** next_slot_at plus its jitter: when the scheduler must look at this schedule. */
  due_at: number | null;
  created_at: number;
  updated_at: number;
  /** For schedules declared in config: hash of the definition last applied from it. */
  declared_hash: string | null;
  /** Set when deleted (a tombstone, so a restart does not bring a config schedule back). */
  deleted_at: number | null;
}

export interface SlotsTable {
  schedule_id: string;
  slot_at: number;
  tenant_id: string;
  job_id: string;
  fate: string;
  reason: string | null;
  late_ms: number;
  run_id: string | null;
  decided_at: number;
  decided_by: string;
}

export interface RunsTable {
  id: string;
  tenant_id: string;
  job_id: string;
  schedule_id: string | null;
  slot_at: number | null;
  trigger: string;
  status: string;
  /** Executions started (each has a run_attempts row), whatever ended them. */
  attempt: number;
  /** The job's own tries allowed, the first attempt included: retry.retries + 1 when queued. Its tries so far: attempt − recoveries − interruptions (retry-policy.ts jobTries). */
  max_attempts: number;
  /** Executions whose worker was lost (lease expired, recovered by a node); bounded by the maxRecoveries setting. */
  recoveries: number;
  /** Executions a graceful shutdown put back; never bounded, never a failure. */
  interruptions: number;
  timeout_ms: number;
  params: string | null;
  run_at: number;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  late_ms: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  heartbeat_at: number | null;
  deadline_at: number | null;
  cancel_requested: number;
  pid: number | null;
  host: string | null;
  exit_code: number | null;
  exit_signal: string | null;
  outcome: string | null;
  reason: string | null;
  error_code: string | null;
  error_message: string | null;
  error_context: string | null;
  log_tail: string | null;
  metrics: string | null;
  steps: string | null;
  parent_run_id: string | null;
  updated_at: number;
  /** A training's typed result (src/training/result-file.ts) as JSON. */
  result: string | null;
}

export interface RunAttemptsTable {
  run_id: string;
  attempt: number;
  tenant_id: string;
  status: string;
  worker: string;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  exit_code: number | null;
  error_message: string | null;
}

export interface DatasetsTable {
  tenant_id: string;
  id: string;
  entity_key: string;
  /** The input column holding each row's time. */
  ts_column: string;
  /** JSON: [{name, type, nullable}] in storage order. */
  features: string;
  /** JSON: {name, type, nullable}. */
  label: string;
  created_at: number;
  updated_at: number;
  last_ingest_at: number | null;
}

/** Per-dataset dictionary of categorical values: samples store the code. */
export interface DatasetCategoriesTable {
  tenant_id: string;
  dataset_id: string;
  feature: string;
  code: number;
  value: string;
}

export interface SamplesTable {
  tenant_id: string;
  dataset_id: string;
  ts: number;
  entity: string;
  label: number | null;
  /** Feature values as Float64 little-endian in schema order; NaN = missing; categoricals as codes. */
  vals: Buffer;
}

/** Per (tenant, model): the last version number handed out (numbers are never reused). */
export interface ModelVersionCountersTable {
  tenant_id: string;
  model_name: string;
  last_version: number;
  created_at: number;
  updated_at: number;
}

export interface ModelVersionsTable {
  tenant_id: string;
  model_name: string;
  version: number;
  /** `${model_name}_${tenant_id}_v${version}`. */
  name: string;
  trainer: string;
  /** JSON object. */
  params: string;
  /** 'full' | 'incremental'. */
  mode: string;
  parent_version: number | null;
  data_since: number | null;
  data_until: number | null;
  train_samples: number;
  holdout_samples: number;
  /** JSON object of metric name → value. */
  metrics: string;
  gate_passed: number;
  /** JSON array: the gate's checks and the numbers behind them. */
  gate_reasons: string;
  artifact_sha256: string;
  artifact_size: number;
  training_ms: number;
  trigger: string;
  run_id: string | null;
  /** 1 once the version has held the champion alias (retention keeps it). */
  was_champion: number;
  created_at: number;
  /** The champion version the candidate was scored against (null: none). */
  compared_to: number | null;
}

export interface ModelAliasesTable {
  tenant_id: string;
  model_name: string;
  alias: string;
  version: number;
  /** Number of changes so far; the latest history row has this revision. */
  revision: number;
  updated_at: number;
}

export interface ModelAliasHistoryTable {
  tenant_id: string;
  model_name: string;
  alias: string;
  revision: number;
  version: number;
  previous_version: number | null;
  /** 'promote' | 'rollback'. */
  action: string;
  reason: string | null;
  actor: string | null;
  run_id: string | null;
  at: number;
}

export interface RunStagesTable {
  run_id: string;
  attempt: number;
  seq: number;
  tenant_id: string;
  stage: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  /** JSON object of count name → number. */
  counts: string;
  note: string | null;
}

export interface RunInputsTable {
  run_id: string;
  name: string;
  tenant_id: string;
  bytes: Buffer;
  created_at: number;
}

/** An artifact stored in the database (NIGHTSHIFT_ARTIFACTS=postgres); its bytes are in artifact_chunks. */
export interface ArtifactsTable {
  tenant_id: string;
  /** Of the plaintext. */
  sha256: string;
  /** Plaintext bytes. */
  size: number;
  /** Bytes after the codec, the sum of the chunks' lengths. */
  stored_size: number;
  chunk_count: number;
  /** The codec the bytes were stored with ('identity': the plaintext). */
  codec: string;
  created_at: number;
}

/** Stored bytes of an artifact, in order of seq (0, 1, …), each at most 1 MiB. */
export interface ArtifactChunksTable {
  tenant_id: string;
  sha256: string;
  seq: number;
  bytes: Buffer;
}

export interface ModelProfilesTable {
  tenant_id: string;
  model_name: string;
  version: number;
  /** JSON: the version's reference profile (src/policy/profile.ts). */
  profile: string;
}

export interface AssessmentsTable {
  id: string;
  tenant_id: string;
  model_name: string;
  run_id: string | null;
  at: number;
  train: number;
  reason: string;
  /** JSON: the whole assessment (src/policy/assess.ts). */
  assessment: string;
  /** The drift rule's verdict, value and threshold (null: the policy has no drift rule, or stored before migration 16). */
  drift_verdict?: string | null;
  drift_value?: number | null;
  drift_threshold?: number | null;
  /** The champion the assessment was about. */
  champion_version?: number | null;
}

/** An alert (src/monitor): one not resolved per (tenant, model, type, subject). */
export interface AlertsTable {
  id: string;
  tenant_id: string;
  /** '' for an alert about the tenant rather than a model. */
  model_name: string;
  /** What within the model or tenant it is about (a channel for NOTIFICATION_FAILING); '' otherwise. */
  subject: string;
  type: string;
  severity: string;
  /** 'open' | 'acknowledged' | 'resolved'. */
  status: string;
  message: string;
  value: number | null;
  threshold: number | null;
  opened_at: number;
  updated_at: number;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  resolved_at: number | null;
  /** 'cleared' (the condition cleared by itself) or 'manual'. */
  resolution: string | null;
}

/** The champion's live metric each time late labels arrived, and its version's trend at that point. */
export interface ModelLivePointsTable {
  tenant_id: string;
  model_name: string;
  at: number;
  version: number;
  metric: string;
  value: number;
  accuracy: number | null;
  labelled: number;
  trend: string;
  slope: number | null;
}

export interface PredictionLogTable {
  tenant_id: string;
  model_name: string;
  entity: string;
  ts: number;
  version: number;
  prediction: number;
  score: number | null;
  logged_at: number;
}

export interface MigrationsTable {
  id: number;
  name: string;
  applied_at: number;
}

export interface Database {
  tenants: TenantsTable;
  jobs: JobsTable;
  schedules: SchedulesTable;
  slots: SlotsTable;
  runs: RunsTable;
  run_attempts: RunAttemptsTable;
  ns_migrations: MigrationsTable;
  datasets: DatasetsTable;
  dataset_categories: DatasetCategoriesTable;
  samples: SamplesTable;
  model_version_counters: ModelVersionCountersTable;
  model_versions: ModelVersionsTable;
  model_aliases: ModelAliasesTable;
  model_alias_history: ModelAliasHistoryTable;
  model_definitions: ModelDefinitionsTable;
  run_stages: RunStagesTable;
  model_profiles: ModelProfilesTable;
  assessments: AssessmentsTable;
  prediction_log: PredictionLogTable;
  alerts: AlertsTable;
  model_live_points: ModelLivePointsTable;
  run_inputs: RunInputsTable;
  artifacts: ArtifactsTable;
  artifact_chunks: ArtifactChunksTable;
  notification_channels: NotificationChannelsTable;
  notification_outbox: NotificationOutboxTable;
  notification_attempts: NotificationAttemptsTable;
  api_keys: ApiKeysTable;
  rate_limits: RateLimitsTable;
  audit_log: AuditLogTable;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  /** The one tenant the key acts for; '*' for a super admin's key. */
  tenant: string;
  role: string;
  secret_sha256: string;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

export interface RateLimitsTable {
  key: string;
  count: number;
  reset_at: number;
}

/** Append-only (migration 0018): inserted, never updated or deleted. */
export interface AuditLogTable {
  id: string;
  at: number;
  tenant_id: string | null;
  subject: string;
  key_id: string | null;
  via: string;
  action: string;
  target: string;
  before_state: string | null;
  after_state: string | null;
  request_id: string | null;
}

export interface ModelDefinitionsTable {
  tenant_id: string;
  name: string;
  job_id: string;
  spec: string;
  origin: string;
  declared_hash: string | null;
  created_at: number;
  updated_at: number;
}

export interface NotificationChannelsTable {
  tenant_id: string;
  id: string;
  type: string;
  /** JSON: the channel's settings, secrets included (never returned by a route). */
  config: string;
  /** JSON array of the events it receives; null: every event. */
  events: string | null;
  enabled: number;
  /** `config` (declared in the config file) or `api`. */
  origin: string;
  failures: number;
  failing: number;
  created_at: number;
  updated_at: number;
}

export interface NotificationOutboxTable {
  id: string;
  tenant_id: string;
  channel_id: string;
  event: string;
  idem_key: string;
  /** JSON: the notification (event, tenant, model, run, metrics…). */
  payload: string;
  /** pending, delivered, dead (retries given up). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export interface NotificationAttemptsTable {
  notification_id: string;
  attempt: number;
  tenant_id: string;
  node: string;
  at: number;
  duration_ms: number;
  ok: number;
  status_code: number | null;
  error: string | null;
}
