/**
 * Alerts: every TRAINING_MONITOR_INTERVAL (settings.monitor.intervalMs) every declared model is
 * evaluated (alert-rules.ts) against its thresholds, and at once, for its tenant, when something
 * that can raise or clear an alert happens here: a run ends or is recovered, an assessment is
 * stored, labels arrive (a new live point is recorded first), the champion changes, a notification
 * channel fails or recovers, the model cache refuses a champion's artifact for failing its integrity
 * check (ARTIFACT_INTEGRITY, cleared once the model's champion loads or is found current again). A
 * pass reads a fixed number of statements (store/monitor-facts.ts) and writes only what changes:
 * alerts opened, alerts resolved. Their events follow the commit.
 *
 * Passes never overlap in a process: requests made while one runs are merged into the next one.
 * Across nodes, the unique partial index keeps one active alert per key, and an alert is resolved
 * (and its event emitted) by the one node whose update changed it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { NsError } from '../errors.ts';
import { NO_AUDIT, type AuditRecorder } from './audit-service.ts';
import type { AlertEventPayload, EngineEvents } from '../events.ts';
import { newId } from '../ids.ts';
import type { ModelService } from '../models/model-service.ts';
import type { ModelCacheEvents } from '../serving/model-cache-events.ts';
import { livePoint } from '../models/live-point.ts';
import { SYSTEM_ACTOR } from '../audit/actor.ts';
import { modelConditions, SEVERITY, type Condition } from '../monitor/alert-rules.ts';
import { integrityFailure, INTEGRITY_TEXT, type IntegrityReason } from '../monitor/artifact-integrity.ts';
import { thresholdsFor, type MonitorSettings } from '../monitor/alert-thresholds.ts';
import { reconcile, type ModelConditions } from '../monitor/reconcile.ts';
import { acknowledgeAlertRow, activeAndRecentAlerts, getAlertRow, insertAlerts, listAlertRows, resolveAlertRows, type AlertFilter, type AlertRow } from '../store/alerts.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { upsertLivePoint } from '../store/live-points.ts';
import { activeRunFacts, modelFacts, modelSpecs, type ModelFacts } from '../store/monitor-facts.ts';
import { ALL_TENANTS, type TenantScope } from '../store/tenant-scope.ts';
import { higherIsBetter, type GateMetric } from '../training/gate.ts';
import type { ModelDefinition } from '../training/model-definition.ts';

export interface Alert extends AlertEventPayload {
  subject: string | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolution: string | null;
  updatedAt: number;
}

export interface PassResult {
  scope: string;
  models: number;
  opened: number;
  resolved: number;
  cooling: number;
  ms: number;
}

export interface MonitorDeps {
  db: Db;
  clock: Clock;
  events: EngineEvents;
  logger: Logger;
  settings: MonitorSettings;
  models: Pick<ModelService, 'list' | 'model' | 'registry'>;
  /** Acknowledgements are recorded (opening and resolving are, as the system's, by the audit service's watch). */
  audit?: AuditRecorder;
  /** The model cache's events: a champion refused for its artifact's integrity, and loaded again. */
  cacheEvents?: ModelCacheEvents;
}

interface ArtifactState {
  failing: boolean;
  version: number | null;
  servingVersion: number | null;
  reason: IntegrityReason;
}

export const alertOf = (r: AlertRow): Alert => ({
  id: r.id,
  tenantId: r.tenant_id,
  model: r.model_name === '' ? null : r.model_name,
  subject: r.subject === '' ? null : r.subject,
  type: r.type,
  severity: r.severity as Alert['severity'],
  status: r.status as Alert['status'],
  message: r.message,
  value: r.value === null ? null : Number(r.value),
  threshold: r.threshold === null ? null : Number(r.threshold),
  openedAt: Number(r.opened_at),
  updatedAt: Number(r.updated_at),
  acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
  acknowledgedBy: r.acknowledged_by,
  resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
  resolution: r.resolution,
});

const payloadOf = (a: Alert): AlertEventPayload => ({
  id: a.id,
  tenantId: a.tenantId,
  model: a.model,
  type: a.type,
  severity: a.severity,
  status: a.status,
  message: a.message,
  value: a.value,
  threshold: a.threshold,
  openedAt: a.openedAt,
  resolvedAt: a.resolvedAt,
});

interface ParsedSpec {
  def: Pick<ModelDefinition, 'task' | 'primaryMetric' | 'alerts' | 'retrain'>;
}

export class MonitorService {
  readonly #d: MonitorDeps;
  /** Per tenant, channel → failing (true) or recovered (false), from the notification events. */
  readonly #channels = new Map<string, Map<string, { failing: boolean; failures: number; lastError: string }>>();
  /** Per tenant, model → whether its champion's artifact was last refused for its integrity, from the model cache's events. */
  readonly #artifacts = new Map<string, Map<string, ArtifactState>>();
  readonly #off: Array<() => void> = [];
  /** Scopes asked for while a pass runs: the next pass covers them all. */
  #pending: Set<string> | 'all' | null = null;
  #livePending = new Map<string, { tenantId: string; datasetId: string }>();
  #work: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Per (tenant, model): its declaration's parts alerts read, as of its updated_at (read again only when it changes). */
  #specs = new Map<string, ParsedSpec & { updatedAt: number }>();

  constructor(deps: MonitorDeps) {
    this.#d = deps;
  }

  get settings(): MonitorSettings {
    return this.#d.settings;
  }

  /** Subscribes to the events that can raise or clear alerts, and evaluates every interval. */
  start(): void {
    const { events } = this.#d;
    this.#off.push(
      events.on('run:finished', ({ run }) => this.request(run.tenant_id)),
      events.on('run:recovered', ({ run }) => this.request(run.tenant_id)),
      events.on('policy:assessed', ({ tenantId }) => this.request(tenantId)),
      events.on('model:alias-changed', ({ tenantId }) => this.request(tenantId)),
      events.on('samples:ingested', ({ tenantId, datasetId }) => this.#labelsArrived(tenantId, datasetId)),
      events.on('notification:failing', ({ tenantId, channel, failures, lastError }) => {
        this.#channel(tenantId).set(channel, { failing: true, failures, lastError });
        this.request(tenantId);
      }),
      events.on('notification:recovered', ({ tenantId, channel }) => {
        this.#channel(tenantId).set(channel, { failing: false, failures: 0, lastError: '' });
        this.request(tenantId);
      }),
    );
    const cache = this.#d.cacheEvents;
    if (cache) {
      this.#off.push(
        cache.on('model:load-failed', (e) => this.#artifactRefused(e)),
        cache.on('model:loaded', ({ tenantId, modelName }) => this.#artifactServes(tenantId, modelName)),
        cache.on('model:unchanged', ({ tenantId, modelName }) => this.#artifactServes(tenantId, modelName)),
      );
    }
    const every = this.#d.settings.intervalMs;
    this.#timer = setInterval(() => this.request(ALL_TENANTS), every);
    this.#timer.unref();
    this.request(ALL_TENANTS);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#off.splice(0)) off();
    if (this.#timer) clearInterval(this.#timer);
    await this.idle();
  }

  /** Resolves once every requested pass and live point is done. */
  async idle(): Promise<void> {
    let seen: Promise<void> | null = null;
    while (seen !== this.#work) {
      seen = this.#work;
      await seen;
    }
  }

  /** A pass over the scope, soon (merged with others asked for meanwhile). */
  request(scope: TenantScope): void {
    if (this.#closed) return;
    if (scope === ALL_TENANTS) this.#pending = 'all';
    else if (this.#pending === null) this.#pending = new Set([scope]);
    else if (this.#pending !== 'all') this.#pending.add(scope);
    this.#chain();
  }

  #chain(): void {
    this.#work = this.#work.then(async () => {
      const lives = [...this.#livePending.values()];
      this.#livePending.clear();
      for (const { tenantId, datasetId } of lives) await this.#recordLives(tenantId, datasetId).catch((error: unknown) => this.#failed('live metric', error));
      const pending = this.#pending;
      this.#pending = null;
      if (pending === null) return;
      const scopes: TenantScope[] = pending === 'all' ? [ALL_TENANTS] : [...pending];
      for (const scope of scopes) await this.evaluate(scope).catch((error: unknown) => this.#failed('alert pass', error));
    });
  }

  #failed(where: string, error: unknown): void {
    this.#d.logger.warn({ err: error }, `monitor: ${where} failed`);
    this.#d.events.emit('error', { where: `monitor ${where}`, error });
  }

  #channel(tenantId: string) {
    let m = this.#channels.get(tenantId);
    if (!m) this.#channels.set(tenantId, (m = new Map()));
    return m;
  }

  #artifactsOf(tenantId: string) {
    let m = this.#artifacts.get(tenantId);
    if (!m) this.#artifacts.set(tenantId, (m = new Map()));
    return m;
  }

  /**
   * A champion refused for its artifact's integrity: the alert's condition is raised, and the refusal
   * is audited once per (model, version, reason), not on every recheck that fails again.
   */
  #artifactRefused(e: { tenantId: string; modelName: string; error: unknown; servingVersion: number | null; version: number | null }): void {
    const failure = integrityFailure(e.error);
    if (!failure || this.#closed) return;
    const models = this.#artifactsOf(e.tenantId);
    const before = models.get(e.modelName);
    models.set(e.modelName, { failing: true, version: e.version, servingVersion: e.servingVersion, reason: failure.reason });
    if (!before?.failing || before.version !== e.version || before.reason !== failure.reason) {
      // On the pass chain, so idle() covers it and the entry precedes the alert it leads to.
      const audit = this.#d.audit ?? NO_AUDIT;
      const entry = { action: 'artifact.refused', tenantId: e.tenantId, target: `model/${e.tenantId}/${e.modelName}`, after: { version: e.version, reason: failure.reason, servingVersion: e.servingVersion, message: failure.message } };
      this.#work = this.#work.then(() => audit.record(entry, { actor: SYSTEM_ACTOR }).catch((error: unknown) => this.#failed('artifact audit', error)));
    }
    this.request(e.tenantId);
  }

  /** The model's champion serves (loaded, or found current): a refusal recorded before no longer holds. */
  #artifactServes(tenantId: string, modelName: string): void {
    const state = this.#artifacts.get(tenantId)?.get(modelName);
    if (!state?.failing || this.#closed) return;
    state.failing = false;
    this.request(tenantId);
  }

  #labelsArrived(tenantId: string, datasetId: string): void {
    if (this.#closed) return;
    this.#livePending.set(`${tenantId}\u0000${datasetId}`, { tenantId, datasetId });
    this.request(tenantId);
  }

  /** A live point for each model of the tenant that reads the dataset and has a champion. */
  async #recordLives(tenantId: string, datasetId: string): Promise<void> {
    const models = (await this.#d.models.list(tenantId)).filter((m) => m.definition.dataset === datasetId && m.champion);
    for (const m of models) await this.recordLive(tenantId, m.definition.name);
  }

  /** Scores the champion's live metric now and stores it as a point of its series; null when too few labels arrived. */
  async recordLive(tenantId: string, model: string) {
    const { definition } = await this.#d.models.model(tenantId, model);
    const champion = await this.#d.models.registry.champion(tenantId, model);
    if (!champion) return null;
    const s = this.#d.settings;
    const point = await livePoint(this.#d.db.k, {
      tenantId,
      definition,
      champion,
      now: this.#d.clock.now(),
      windowMs: s.liveWindowMs,
      minRows: s.liveMinRows,
      trend: { points: s.trendPoints, minPoints: s.trendMinPoints, tolerance: definition.alerts?.trendTolerance ?? s.trendTolerance },
    });
    if (point) await upsertLivePoint(this.#d.db.k, point);
    return point;
  }

  /** Reads the declarations of the models whose cached one is missing or older. */
  async #loadSpecs(scope: TenantScope, facts: readonly ModelFacts[]): Promise<void> {
    const stale = facts.filter((f) => this.#specs.get(`${f.tenantId}\u0000${f.model}`)?.updatedAt !== f.updatedAt);
    if (stale.length === 0) return;
    const rows = await modelSpecs(this.#d.db.k, scope, stale.length > 100 ? undefined : stale.map((f) => ({ tenantId: f.tenantId, model: f.model })));
    if (this.#specs.size + rows.length > 200_000) this.#specs.clear();
    for (const r of rows) {
      const def = JSON.parse(r.spec) as ModelDefinition;
      this.#specs.set(`${r.tenantId}\u0000${r.model}`, { updatedAt: r.updatedAt, def: { task: def.task, primaryMetric: def.primaryMetric, alerts: def.alerts, retrain: def.retrain } });
    }
  }

  /** One pass: evaluates every model in the scope and opens and resolves alerts. */
  async evaluate(scope: TenantScope = ALL_TENANTS): Promise<PassResult> {
    const started = performance.now();
    const s = this.#d.settings;
    const now = this.#d.clock.now();
    const x = this.#d.db.k;
    const [facts, runs, existing] = await Promise.all([
      modelFacts(x, scope, now - s.failureWindowMs, false),
      activeRunFacts(x, scope, s.leaseLostLimit),
      activeAndRecentAlerts(x, scope, now - s.cooldownMs),
    ]);
    await this.#loadSpecs(scope, facts);
    const runsByJob = new Map<string, typeof runs>();
    for (const r of runs) {
      const key = `${r.tenantId}\u0000${r.jobId}`;
      const list = runsByJob.get(key);
      if (list) list.push(r);
      else runsByJob.set(key, [r]);
    }
    const groups: ModelConditions[] = [];
    const models = new Set<string>();
    const tenants = new Set<string>();
    for (const f of facts) {
      models.add(`${f.tenantId}\u0000${f.model}`);
      tenants.add(f.tenantId);
      groups.push({ tenantId: f.tenantId, model: f.model, conditions: this.#conditions(f, runsByJob.get(`${f.tenantId}\u0000${f.jobId}`) ?? [], now) });
    }
    for (const [tenantId, channels] of this.#channels) {
      if (scope !== ALL_TENANTS && scope !== tenantId) continue;
      const conditions: Condition[] = [...channels].map(([channel, c]) =>
        c.failing
          ? { type: 'NOTIFICATION_FAILING', subject: channel, state: 'raise', message: `notification channel ${channel} keeps failing: ${c.failures} failure(s), last: ${c.lastError}`, value: c.failures, threshold: null }
          : { type: 'NOTIFICATION_FAILING', subject: channel, state: 'clear' },
      );
      groups.push({ tenantId, model: '', conditions });
    }
    const cleared: Array<() => void> = [];
    for (const [tenantId, artifacts] of this.#artifacts) {
      if (scope !== ALL_TENANTS && scope !== tenantId) continue;
      for (const [model, a] of artifacts) {
        // A model gone since: its alert is resolved as any gone model's; nothing will load it again.
        if (!models.has(`${tenantId}\u0000${model}`)) {
          artifacts.delete(model);
          continue;
        }
        groups.push({ tenantId, model, conditions: [artifactCondition(model, a)] });
        if (!a.failing) cleared.push(() => artifacts.get(model) === a && artifacts.delete(model));
      }
    }
    const plan = reconcile(
      groups,
      existing.map((a) => ({ id: a.id, tenantId: a.tenant_id, model: a.model_name, type: a.type, subject: a.subject, status: a.status, resolvedAt: a.resolved_at === null ? null : Number(a.resolved_at) })),
      now,
      s.cooldownMs,
      (a) => a.model !== '' && !models.has(`${a.tenantId}\u0000${a.model}`),
    );
    let opened: AlertRow[] = [];
    let resolved: AlertRow[] = [];
    if (plan.open.length > 0 || plan.resolve.length > 0) {
      [opened, resolved] = await inTransaction(this.#d.db, async (tx) => {
        const rows: AlertRow[] = plan.open.map((o) => ({
          id: newId('alert', now),
          tenant_id: o.tenantId,
          model_name: o.model,
          subject: o.subject,
          type: o.type,
          severity: SEVERITY[o.type],
          status: 'open',
          message: o.message,
          value: o.value,
          threshold: o.threshold,
          opened_at: now,
          updated_at: now,
          acknowledged_at: null,
          acknowledged_by: null,
          resolved_at: null,
          resolution: null,
        }));
        return [await insertAlerts(tx, rows), await resolveAlertRows(tx, plan.resolve, now, 'cleared')];
      });
    }
    // Cleared integrity states have spoken (their alerts are resolved): forgotten.
    for (const forget of cleared) forget();
    for (const r of opened) {
      const a = alertOf(r);
      this.#d.logger.warn({ alert: a.type, tenantId: a.tenantId, model: a.model, id: a.id }, `alert opened: ${a.message}`);
      this.#d.events.emit('alert:opened', { alert: payloadOf(a) });
    }
    for (const r of resolved) {
      const a = alertOf(r);
      this.#d.logger.info({ alert: a.type, tenantId: a.tenantId, model: a.model, id: a.id }, 'alert resolved: its condition cleared');
      this.#d.events.emit('alert:resolved', { alert: payloadOf(a) });
    }
    return { scope: scope === ALL_TENANTS ? '*' : scope, models: facts.length, opened: opened.length, resolved: resolved.length, cooling: plan.cooling, ms: performance.now() - started };
  }

  #conditions(f: ModelFacts, runs: ReadonlyArray<{ runId: string; status: string; startedAt: number | null; recoveries: number }>, now: number): Condition[] {
    const s = this.#d.settings;
    const spec = this.#specs.get(`${f.tenantId}\u0000${f.model}`);
    // Declared between the two reads: evaluated next pass.
    if (!spec) return [];
    const { def } = spec;
    const t = thresholdsFor(s, def.task, def.alerts, def.retrain?.maxDaysSinceTraining ?? null);
    return modelConditions(
      {
        now,
        task: def.task,
        higherIsBetter: higherIsBetter((f.live?.metric ?? def.primaryMetric) as GateMetric),
        failureWindowMs: s.failureWindowMs,
        failureMinRuns: s.failureMinRuns,
        leaseLostLimit: s.leaseLostLimit,
        ended: f.ended,
        failed: f.failed,
        streak: f.streak,
        championVersion: f.championVersion,
        championCreatedAt: f.championCreatedAt,
        live: f.live,
        drift: f.drift,
        active: runs,
      },
      t,
    );
  }

  /** Alerts of the scope, newest first, filtered and paged. */
  async list(scope: TenantScope, filter: AlertFilter, page: { limit: number; before?: { at: number; id: string } }): Promise<Alert[]> {
    return (await listAlertRows(this.#d.db.k, scope, filter, page)).map(alertOf);
  }

  async get(scope: TenantScope, id: string): Promise<Alert> {
    const row = await getAlertRow(this.#d.db.k, scope, id);
    if (!row) throw new NsError('NS_NOT_FOUND', `no alert "${id}"${typeof scope === 'string' ? ` in tenant "${scope}"` : ''}; list them with GET /api/alerts`, { field: 'id', details: { id } });
    return alertOf(row);
  }

  /** open → acknowledged; an alert acknowledged already is returned as it is, a resolved one refused. */
  async acknowledge(scope: TenantScope, id: string, by: string | null): Promise<Alert> {
    const audit = this.#d.audit ?? NO_AUDIT;
    return audit.track((a: Alert) => ({ action: 'alert.acknowledge', tenantId: a.tenantId, target: `alert/${a.id}`, after: { type: a.type, model: a.model, status: a.status, by } }), () => this.#acknowledge(scope, id, by));
  }

  async #acknowledge(scope: TenantScope, id: string, by: string | null): Promise<Alert> {
    const row = await acknowledgeAlertRow(this.#d.db.k, scope, id, by, this.#d.clock.now());
    if (row) {
      const a = alertOf(row);
      this.#d.events.emit('alert:acknowledged', { alert: payloadOf(a) });
      return a;
    }
    const current = await this.get(scope, id);
    if (current.status === 'resolved') throw new NsError('NS_CONFLICT', `alert "${id}" is resolved already (${current.resolution ?? 'cleared'}); only an open alert can be acknowledged`, { field: 'id', details: { id, status: current.status } });
    return current;
  }

}

function artifactCondition(model: string, a: ArtifactState): Condition {
  if (!a.failing) return { type: 'ARTIFACT_INTEGRITY', subject: '', state: 'clear' };
  const serving = a.servingVersion === null ? 'nothing serves it' : `version ${a.servingVersion} keeps serving`;
  const version = a.version === null ? 'the champion' : `champion version ${a.version}`;
  return {
    type: 'ARTIFACT_INTEGRITY',
    subject: '',
    state: 'raise',
    message: `the artifact of ${version} of model "${model}" was refused: ${INTEGRITY_TEXT[a.reason]}; ${serving}. Restore the artifact, fix the master key, or roll back`,
    value: a.version,
    threshold: null,
  };
}
