/**
 * The model lifecycle as the API and CLI use it: declared models per tenant, training on demand,
 * versions and champion history, promotion and rollback, and predictions from the hot-swapped
 * model cache. The cache is refreshed when a training run of this process ends and after every
 * promotion or rollback made here; other nodes' changes reach it through its periodic recheck.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { DEFAULTS } from '../config/defaults.ts';
import { trainJobId } from '../config/definitions.ts';
import type { Settings, TrainJob } from '../config/types.ts';
import type { EngineEvents } from '../events.ts';
import { checkSpecAgainstSchema, requiredHistorySeconds, type FeatureSpec } from '../data/features/index.ts';
import { requireDataset } from '../data/ingest/dataset-service.ts';
import type { RawSample } from '../data/types.ts';
import { loadSamples } from '../store/sample-window.ts';
import { getDatasetRow } from '../store/datasets.ts';
import { DeclarationCache } from './declaration-cache.ts';
import { toRawSamples, type Filled } from './predict-input.ts';
import { importOutcome, importParams, type ImportOnnxOptions, type ImportOnnxResult } from './import-onnx.ts';
import { exportVersionToOnnx, type OnnxExport } from './export-onnx.ts';
import { IMPORT_INPUT } from '../training/run-overrides.ts';
import type { Assessment } from '../policy/assess.ts';
import { assessModel } from '../policy/assessor.ts';
import { listAssessmentRows } from '../store/assessments.ts';
import { storedAssessmentOf, type StoredAssessment } from './stored-assessment.ts';
import { liveMetrics, type LiveMetrics } from './live-metric.ts';
import { PredictionLogger, type PredictionLogSettings } from './prediction-logger.ts';
import type { RunService, RunView } from '../services/run-service.ts';
import type { ScheduleService } from '../services/schedule-service.ts';
import type { TenantService } from '../services/tenant-service.ts';
import { implicitScheduleId } from '../config/implicit-schedules.ts';
import { NsError } from '../errors.ts';
import { contextLogger } from '../log-context.ts';
import { ModelRegistry, type AliasChange, type ArtifactStorage, type AliasUpdate, type ModelVersion } from '../registry/index.ts';
import { HistoryCache, isSyncPredictor, ModelCache, MODEL_CACHE_DEFAULTS, predictRows, predictRowsSync, type Prediction, type ServedModel } from '../serving/index.ts';
import { datasetSchemaOf } from '../store/datasets.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { getJob, upsertJob } from '../store/jobs.ts';
import { countModels, modelActivity, type ModelActivityRow, type ModelPage } from '../store/model-activity.ts';
import { getModelDefinition, listModelDefinitions, upsertModelDefinition, type StoredModel } from '../store/model-definitions.ts';
import type { TenantScope } from '../store/tenant-scope.ts';
import { parseModelDefinition } from '../training/model-definition.ts';
import { checkTrainParams } from '../training/run-overrides.ts';

export interface ModelSummary extends StoredModel {
  champion: ModelVersion | null;
}

export interface PredictResult {
  version: ModelVersion;
  /** With `filled` when the row left columns out or had categories the model never saw. */
  predictions: Array<Prediction & { filled?: Filled }>;
}

import { NO_AUDIT, type AuditRecorder } from '../services/audit-service.ts';
import { currentActor } from '../audit/actor.ts';

export interface ModelServiceDeps {
  /** Where each change is recorded (audit-service.ts); none in tests of this service alone. */
  audit?: AuditRecorder;
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  tenants: TenantService;
  /** Where training and import runs are queued, waited for, or executed in this process. */
  runs: Pick<RunService, 'trigger' | 'waitForEnd' | 'executeHere'>;
  /** Defaults of a train job declared over the API, and the schedule it gets (ML_TRAINING_SCHEDULE, ML_TRAINING_ENABLED). */
  training: Pick<Settings['training'], 'timeoutMs' | 'retries' | 'schedule' | 'enabled'>;
  misfireGraceMs: number;
  /** Where a model declared over the API gets its nightly schedule, as a config-declared one does. */
  schedules: Pick<ScheduleService, 'list' | 'upsert'>;
  /** Where artifact bytes live (files, or the PostgreSQL store). */
  artifacts: ArtifactStorage;
  /** Predictions logged for the live metric. */
  predictionLog: PredictionLogSettings;
  /** The model cache's memory bound (NIGHTSHIFT_MODEL_CACHE_MB), bytes; default 256 MiB. */
  cacheMaxBytes?: number;
  /** Samples the history cache holds (NIGHTSHIFT_HISTORY_CACHE_SAMPLES; 0: none); default 100,000. */
  historySamples?: number;
  /** How often champions, declarations and datasets' ingest markers are checked against the store, ms (default 5000). */
  recheckMs?: number;
  /** The registry's retention (NIGHTSHIFT_KEEP_VERSIONS, NIGHTSHIFT_KEEP_CHAMPIONS; registry defaults otherwise). */
  retention?: Pick<Settings, 'keepVersions' | 'keepChampions'>;
}

export class ModelService {
  readonly registry: ModelRegistry;
  readonly cache: ModelCache;
  /** Entities' recent samples for lag and rolling features; the data service tells it of every write. */
  readonly recentSamples: HistoryCache;
  readonly #declarations: DeclarationCache;
  readonly #d: ModelServiceDeps;
  readonly #audit: AuditRecorder;
  readonly #offs: Array<() => void>;
  readonly #log: PredictionLogger;
  /** Champion swaps under way after a promoting run, per tenant. */
  readonly #swaps = new Map<string, Promise<void>>();

  constructor(deps: ModelServiceDeps) {
    this.#d = deps;
    this.#audit = deps.audit ?? NO_AUDIT;
    const { db, clock, events, logger } = deps;
    this.registry = new ModelRegistry({ db, artifacts: deps.artifacts, clock, ...deps.retention });
    this.#log = new PredictionLogger({ db, clock, logger, settings: deps.predictionLog });
    this.cache = new ModelCache({ registry: this.registry, clock, logger, ...(deps.cacheMaxBytes ? { maxBytes: deps.cacheMaxBytes } : {}), ...(deps.recheckMs ? { recheckMs: deps.recheckMs } : {}) });
    const recheckMs = deps.recheckMs ?? MODEL_CACHE_DEFAULTS.recheckMs;
    this.recentSamples = new HistoryCache({
      clock,
      recheckMs,
      maxSamples: deps.historySamples ?? DEFAULTS.historyCacheSamples,
      source: {
        // Only the rows' entities, selected in SQL: a tenant's other machines are not read.
        load: (tenantId, datasetId, window, entities) => loadSamples(db.k, tenantId, datasetId, window, entities),
        marker: async (tenantId, datasetId) => {
          const row = await getDatasetRow(db.k, tenantId, datasetId);
          return row?.last_ingest_at === null || row?.last_ingest_at === undefined ? null : Number(row.last_ingest_at);
        },
      },
    });
    this.#declarations = new DeclarationCache((tenantId, name) => this.model(tenantId, name), clock, recheckMs);
    // A training that promoted ran in a child process: swap its champion in here at once. The swap
    // is registered synchronously, before the run's end is visible anywhere, and predictions of
    // the tenant wait for it: after a promotion no prediction is served by the old champion.
    const onFinished = events.on('run:finished', ({ run }) => {
      if (run.outcome !== 'promoted') return;
      const previous = this.#swaps.get(run.tenant_id) ?? Promise.resolve();
      const swap = previous
        .then(() => this.#modelOfJob(run.job_id))
        .then((model) => (model ? this.#refresh(run.tenant_id, model) : undefined))
        .catch((error: unknown) => logger.warn({ err: error, runId: run.id }, 'could not swap in the promoted model'))
        .finally(() => {
          if (this.#swaps.get(run.tenant_id) === swap) this.#swaps.delete(run.tenant_id);
        });
      this.#swaps.set(run.tenant_id, swap);
    });
    // A deleted tenant's champions are served no more.
    const onDeleted = events.on('tenant:deleted', ({ tenantId }) => this.cache.forgetTenant(tenantId));
    this.#offs = [onFinished, onDeleted];
  }

  async #modelOfJob(jobId: string): Promise<string | null> {
    const job = await getJob(this.#d.db.k, jobId);
    return job?.kind === 'train' ? job.model : null;
  }

  async #refresh(tenantId: string, modelName: string): Promise<void> {
    // A champion that cannot be loaded keeps the previous one serving; the cache logs and keeps the error.
    await this.cache.refresh(tenantId, modelName).catch(() => undefined);
  }

  async #tenant(tenantId: string): Promise<void> {
    await this.#d.tenants.require(tenantId, 'tenantId');
  }

  /** The declaration, or null when the tenant has no such model. */
  find(tenantId: string, name: string): Promise<StoredModel | null> {
    return getModelDefinition(this.#d.db.k, tenantId, name);
  }

  /** The declaration; NS_NOT_FOUND naming the tenant's models when there is none. */
  async model(tenantId: string, name: string): Promise<StoredModel> {
    await this.#tenant(tenantId);
    const found = await getModelDefinition(this.#d.db.k, tenantId, name);
    if (found) return found;
    const known = (await listModelDefinitions(this.#d.db.k, tenantId)).map((m) => m.definition.name);
    const hint = known.length ? `its models: ${known.join(', ')}` : 'it has none; declare one with PUT /api/tenants/:tenantId/models/:model or in the config file';
    throw new NsError('NS_NOT_FOUND', `tenant "${tenantId}" has no model "${name}" (${hint})`, { field: 'model', details: { tenantId, model: name } });
  }

  /** A named tenant must exist; ALL_TENANTS is the operator's view of every tenant's models. */
  async list(scope: TenantScope): Promise<ModelSummary[]> {
    if (typeof scope === 'string') await this.#tenant(scope);
    const models = await listModelDefinitions(this.#d.db.k, scope);
    return Promise.all(models.map(async (m) => ({ ...m, champion: await this.registry.champion(m.tenantId, m.definition.name) })));
  }

  /** A page of the scope's models, by tenant and name: champion, latest run of the train job, next enabled slot; and how many there are. */
  async overview(scope: TenantScope, page: ModelPage): Promise<{ rows: ModelActivityRow[]; total: number }> {
    if (typeof scope === 'string') await this.#tenant(scope);
    const [rows, total] = await Promise.all([modelActivity(this.#d.db.k, scope, page), countModels(this.#d.db.k, scope)]);
    return { rows, total };
  }

  /** Declares or replaces a model over the API; its dataset must exist and have the feature columns. */
  async define(tenantId: string, name: string, body: unknown): Promise<{ result: 'created' | 'updated' | 'unchanged'; model: StoredModel }> {
    return this.#audit.track((r: { result: 'created' | 'updated' | 'unchanged'; model: StoredModel }) => ({ action: 'model.define', tenantId, target: `model/${tenantId}/${name}`, after: { result: r.result, dataset: r.model.definition.dataset, trainer: r.model.definition.trainer.kind, task: r.model.definition.task } }), async () => {
      await this.#tenant(tenantId);
      const definition = parseModelDefinition(body, '', name);
      // The API never starts programs on the server: command trainers are declared by its operator, in the config file.
      if (definition.trainer.kind === 'command') {
        throw new NsError('NS_VALIDATION', 'trainer.kind: "command" trainers are declared in the config file (models:), not over the API, which never starts programs on the server; use "gbdt" or "linear" here', { field: 'trainer.kind' });
      }
      const schema = datasetSchemaOf(await requireDataset(this.#d.db.k, tenantId, definition.dataset));
      checkSpecAgainstSchema(definition.features, schema, 'features');
      if ((definition.task === 'binary') !== (schema.label.type === 'binary')) {
        throw new NsError('NS_VALIDATION', `task: "${definition.task}" does not fit dataset "${definition.dataset}", whose label "${schema.label.name}" is ${schema.label.type}; use task "${schema.label.type === 'binary' ? 'binary' : 'regression'}"`, { field: 'task' });
      }
      const jobId = trainJobId(name);
      const now = this.#d.clock.now();
      const result = await inTransaction(this.#d.db, async (x) => {
        const job = await getJob(x, jobId);
        if (job && job.kind !== 'train') throw new NsError('NS_CONFLICT', `job "${jobId}" exists and is not a training job; rename the model`, { field: 'model' });
        if (job && job.tenants !== null && !job.tenants.includes(tenantId)) {
          throw new NsError('NS_CONFLICT', `job "${jobId}" is declared in the config file for tenants ${job.tenants.join(', ')} only; add "${tenantId}" to the model's tenants there`, { field: 'tenantId' });
        }
        if (!job) await upsertJob(x, this.#apiTrainJob(jobId, name), now);
        return upsertModelDefinition(x, tenantId, definition, jobId, 'api', now);
      });
      this.#declarations.forget(tenantId, name);
      if (result === 'created') await this.#scheduleTraining(tenantId, jobId);
      if (result !== 'unchanged') contextLogger(this.#d.logger).info({ tenantId, model: name, jobId, result }, 'model declared');
      return { result, model: (await getModelDefinition(this.#d.db.k, tenantId, name))! };
    });
  }

  /**
   * A model declared over the API trains on ML_TRAINING_SCHEDULE in its tenant's zone from now on,
   * exactly as a config-declared one does, unless its (tenant, job) already has a schedule.
   */
  async #scheduleTraining(tenantId: string, jobId: string): Promise<void> {
    if ((await this.#d.schedules.list(tenantId, { jobId })).length > 0) return;
    const tenant = await this.#d.tenants.require(tenantId, 'tenantId');
    const { training } = this.#d;
    await this.#d.schedules.upsert({
      id: implicitScheduleId(tenantId, jobId),
      tenantId,
      jobId,
      cron: training.schedule,
      everyMs: null,
      timezone: tenant.timezone,
      enabled: training.enabled,
      jitterMs: DEFAULTS.schedule.jitterMs,
      misfireGraceMs: this.#d.misfireGraceMs,
      catchUp: DEFAULTS.schedule.catchUp,
      catchUpMax: DEFAULTS.schedule.catchUpMax,
      overlap: DEFAULTS.schedule.overlap,
    });
  }

  #apiTrainJob(id: string, model: string): TrainJob {
    const t = this.#d.training;
    return {
      id, kind: 'train', model, description: `train model ${model}`, role: 'training', tenants: null, after: [], env: {},
      timeoutMs: t.timeoutMs, retry: { retries: t.retries, backoffMs: [...DEFAULTS.retry.backoffMs], jitterRatio: DEFAULTS.retry.jitterRatio },
    };
  }

  /**
   * Queues a training run of the model for the tenant (`now`: refused while one is in flight).
   * `trigger`: what the run, its version and the champion history record as having started it.
   */
  async train(tenantId: string, name: string, params: Record<string, unknown> = {}, mode: 'now' | 'queue' = 'now', trigger: 'manual' | 'startup' = 'manual'): Promise<RunView> {
    return this.#audit.track((run: RunView) => ({ action: 'model.train', tenantId, target: `model/${tenantId}/${name}`, after: { runId: run.id, trigger, mode, params } }), async () => {
      const model = await this.model(tenantId, name);
      const checked = checkTrainParams(params);
            // The champion history of a promotion by this training names who asked for it (training-run.ts).
      const requestedBy = trigger === 'manual' ? currentActor().subject : null;
      return this.#d.runs.trigger(model.jobId, tenantId, { mode, params: { ...checked, ...(requestedBy ? { requestedBy } : {}) }, trigger });
    });
  }

  async versions(tenantId: string, name: string, page: { limit?: number; cursor?: number | null } = {}) {
    await this.model(tenantId, name);
    return this.registry.listVersions(tenantId, name, page);
  }

  async version(tenantId: string, name: string, version: number): Promise<ModelVersion> {
    await this.model(tenantId, name);
    const v = await this.registry.getVersion(tenantId, name, version);
    if (!v) throw new NsError('NS_NOT_FOUND', `model "${name}" of tenant "${tenantId}" has no version ${version}`, { field: 'version', details: { tenantId, model: name, version } });
    return v;
  }

  /**
   * The version as an .onnx file with a description of its input (the model's feature matrix, not
   * raw rows) and outputs (export-onnx.ts). Another tenant's model or version is not found.
   */
  async exportOnnx(tenantId: string, name: string, version: number): Promise<OnnxExport> {
    await this.version(tenantId, name, version);
    return exportVersionToOnnx(await this.registry.loadArtifact(tenantId, name, version));
  }

  async history(tenantId: string, name: string, page: { limit?: number; before?: number } = {}): Promise<AliasChange[]> {
    await this.model(tenantId, name);
    return this.registry.aliasHistory(tenantId, name, page);
  }

  async rollback(tenantId: string, name: string, targetVersion: number, o: { reason?: string; actor?: string | null }): Promise<AliasUpdate> {
    return this.#audit.track((u: AliasUpdate) => ({ action: 'model.rollback', tenantId, target: `model/${tenantId}/${name}`, before: { champion: u.change.previousVersion }, after: { champion: u.change.version, changed: u.changed, reason: u.change.reason } }), async () => {
      await this.model(tenantId, name);
      const update = await this.registry.rollback(tenantId, name, targetVersion, { reason: o.reason ?? `rollback to v${targetVersion}`, actor: o.actor ?? currentActor().subject });
      this.#logAliasUpdate(update);
      await this.#refresh(tenantId, name);
      return update;
    });
  }

  async promote(tenantId: string, name: string, version: number, o: { reason?: string; actor?: string | null; expectedCurrent?: number | null }): Promise<AliasUpdate> {
    return this.#audit.track((u: AliasUpdate) => ({ action: 'model.promote', tenantId, target: `model/${tenantId}/${name}`, before: { champion: u.change.previousVersion }, after: { champion: u.change.version, changed: u.changed, reason: u.change.reason } }), async () => {
      await this.model(tenantId, name);
      const update = await this.registry.promote(tenantId, name, version, {
        reason: o.reason ?? `promoted v${version} by hand`,
        actor: o.actor ?? currentActor().subject,
        ...(o.expectedCurrent !== undefined ? { expectedCurrent: o.expectedCurrent } : {}),
      });
      this.#logAliasUpdate(update);
      await this.#refresh(tenantId, name);
      return update;
    });
  }

  #logAliasUpdate({ changed, change: c }: AliasUpdate): void {
    if (!changed) return;
    const fields = { tenantId: c.tenantId, model: c.modelName, action: c.action, version: c.version, previousVersion: c.previousVersion, reason: c.reason, actor: c.actor };
    contextLogger(this.#d.logger).info(fields, 'champion changed');
    this.#d.events.emit('model:alias-changed', {
      tenantId: c.tenantId,
      model: c.modelName,
      action: c.action === 'rollback' ? 'rollback' : 'promote',
      from: c.previousVersion,
      to: c.version,
      actor: c.actor,
      reason: c.reason ?? '',
    });
  }

  /**
   * Queues a run importing ONNX bytes as a version of the declared model, scored and gated like a
   * training (import-onnx.ts). `here`: execute it in this process (the CLI, which may have no
   * service running); `waitMs`: wait that long for its end. Refused (409) while a training of the
   * model is in flight.
   */
  async importOnnx(tenantId: string, name: string, bytes: Uint8Array, o: ImportOnnxOptions & { waitMs?: number; here?: boolean } = {}): Promise<ImportOnnxResult> {
    return this.#audit.track((r: ImportOnnxResult) => ({ action: 'model.import', tenantId, target: `model/${tenantId}/${name}`, after: { bytes: bytes.byteLength, promote: o.promote ?? null, outcome: (r as { outcome?: unknown }).outcome ?? null } }), async () => {
      const model = await this.model(tenantId, name);
      if (bytes.byteLength === 0) throw new NsError('NS_VALIDATION', 'onnx: the file is empty; send the contents of a .onnx file', { field: 'onnx' });
      const queued = await this.#d.runs.trigger(model.jobId, tenantId, { mode: 'now', params: { import: importParams({ ...o, actor: o.actor ?? currentActor().subject }) }, inputs: [{ name: IMPORT_INPUT, bytes }] });
      if (o.here) await this.#d.runs.executeHere(queued.id);
      const run = o.waitMs || o.here ? await this.#d.runs.waitForEnd(tenantId, queued.id, o.waitMs ?? 0) : queued;
      return importOutcome(run, this.registry, name);
    });
  }

  /**
   * Scores rows (PredictRowInput, unchecked: predict-input.ts checks them against the champion's
   * spec) with the champion. `single`: the body was one row, and errors name `values.x`, not
   * `rows[0].values.x`. The cache answers from memory; a model unknown to it is looked up in the
   * store first, so a wrong tenant or model name gets a clear 404.
   */
  async predict(tenantId: string, name: string, input: readonly unknown[], o: { single?: boolean } = {}): Promise<PredictResult> {
    const swap = this.#swaps.get(tenantId);
    if (swap) await swap;
    try {
      // use(): the predictor stays open until this prediction is done, even if a swap retires it meanwhile.
      // Without a promise when the declaration, the rows' history and the model are in memory and
      // the model scores synchronously (GBDT, linear): the usual request.
      return await this.cache.use(tenantId, name, (served) => {
        const held = this.#declarations.getNow(tenantId, name);
        if (held) return this.#score(served, held, tenantId, name, input, o);
        return this.#declarations.get(tenantId, name).then((model) => this.#score(served, model, tenantId, name, input, o));
      });
    } catch (error) {
      if (error instanceof NsError && error.code === 'NS_NOT_FOUND' && error.field !== 'model') {
        await this.model(tenantId, name);
        throw new NsError('NS_NOT_FOUND', `model "${name}" of tenant "${tenantId}" has no champion yet; train it (POST /api/tenants/${tenantId}/models/${name}/train) and let a version pass the gate`, { field: 'model', details: { tenantId, model: name } });
      }
      throw error;
    }
  }

  /** predict() with the served model and its declaration: a promise only when history must be read or the model is asynchronous. */
  #score(served: ServedModel, model: StoredModel, tenantId: string, name: string, input: readonly unknown[], o: { single?: boolean }): PredictResult | Promise<PredictResult> {
    const spec = served.predictor.featureSpec;
    const require = model.definition.predict?.require ?? [];
    const { samples, filled } = toRawSamples(input, spec, this.#d.clock.now(), { single: o.single === true, require, model: name });
    const answer = (predictions: PredictResult['predictions']): PredictResult => {
      this.#log.log(tenantId, name, served.version.version, samples, predictions);
      for (let i = 0; i < predictions.length; i++) {
        const f = filled[i];
        if (f) predictions[i] = { ...predictions[i]!, filled: f };
      }
      return { version: served.version, predictions };
    };
    const scored = (history: RawSample[] | undefined): PredictResult | Promise<PredictResult> => {
      const p = served.predictor;
      return isSyncPredictor(p) ? answer(predictRowsSync(p, samples, history)) : predictRows(p, samples, history).then(answer);
    };
    if (requiredHistorySeconds(spec) === 0) return scored(undefined);
    // Read from the history cache's memory without a promise when it holds the rows' entities.
    const q = this.#historyQuery(model, spec, samples);
    if (!q) return scored(undefined);
    const held = this.recentSamples.lookupNow(model.tenantId, model.definition.dataset, q.entities, q.window);
    return held === null ? this.recentSamples.lookup(model.tenantId, model.definition.dataset, q.entities, q.window).then(scored) : scored(held);
  }

  /** The rows' entities and the window of history they need; undefined when none is read (see #history). */
  #historyQuery(model: StoredModel, spec: FeatureSpec, rows: readonly RawSample[]): { entities: string[]; window: { since: number; until: number } } | undefined {
    if (model.definition.source.kind !== 'store') return undefined;
    let since = Number.POSITIVE_INFINITY;
    let until = Number.NEGATIVE_INFINITY;
    const entities = new Set<string>();
    for (const r of rows) {
      if (r.entity === '') continue;
      if (r.ts < since) since = r.ts;
      if (r.ts > until) until = r.ts;
      entities.add(r.entity);
    }
    if (entities.size === 0) return undefined;
    return { entities: [...entities], window: { since: since - requiredHistorySeconds(spec) * 1000, until } };
  }

  /**
   * Earlier samples of the rows' entities, from the model's dataset (through the history cache:
   * exactly what the store holds), so lag and rolling features are computed as in training. Models
   * fed by SQL or CSV sources get none (their features that need history are then missing, as for
   * an entity's first row).
   */
  async #history(model: StoredModel, spec: FeatureSpec, rows: readonly RawSample[]): Promise<RawSample[] | undefined> {
    const q = this.#historyQuery(model, spec, rows);
    return q ? this.recentSamples.lookup(model.tenantId, model.definition.dataset, q.entities, q.window) : undefined;
  }

  /** The model's stored retrain decisions, newest first (keyset pages). */
  async assessments(tenantId: string, name: string, page: { limit?: number; before?: { at: number; id: string } } = {}): Promise<StoredAssessment[]> {
    await this.model(tenantId, name);
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? 50), 1), 500);
    const rows = await listAssessmentRows(this.#d.db.k, tenantId, name, { limit, ...(page.before ? { before: page.before } : {}) });
    return rows.map(storedAssessmentOf);
  }

  /** The champion's live metric from late labels (overall and per day), and the latest rejected candidate's shadow score. */
  async live(tenantId: string, name: string, days = 30): Promise<LiveMetrics> {
    const model = await this.model(tenantId, name);
    const { definition } = model;
    await this.#log.flush();
    const schema = datasetSchemaOf(await requireDataset(this.#d.db.k, tenantId, definition.dataset));
    const history = (rows: readonly RawSample[], spec: FeatureSpec) => (requiredHistorySeconds(spec) > 0 ? this.#history(model, spec, rows) : Promise.resolve(undefined));
    return liveMetrics({ x: this.#d.db.k, registry: this.registry, tenantId, definition, schema, now: this.#d.clock.now(), history }, days);
  }

  /** The data rules only (new samples, drift): what an ingest can change. */
  async assessDataRules(tenantId: string, name: string): Promise<Assessment> {
    const { definition } = await this.model(tenantId, name);
    return assessModel({ x: this.#d.db.k, registry: this.registry, now: () => this.#d.clock.now() }, { tenantId, definition, force: false, onlyDataRules: true });
  }

  /** The decision a run would make now, without training or storing anything (a dry run). */
  async assess(tenantId: string, name: string): Promise<Assessment> {
    const { definition } = await this.model(tenantId, name);
    return assessModel({ x: this.#d.db.k, registry: this.registry, now: () => this.#d.clock.now() }, { tenantId, definition, force: false });
  }

  /** Writes the predictions logged so far (tests, and before reading the live metric). */
  flushPredictionLog(): Promise<void> {
    return this.#log.flush();
  }

  async close(): Promise<void> {
    for (const off of this.#offs) off();
    await this.#log.close();
    await this.cache.close();
  }
}
