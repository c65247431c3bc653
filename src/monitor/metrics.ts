import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Services } from '../services/services.ts';
import { registerNotificationMetrics } from './notify/notification-metrics.ts';

/**
 * prom-client's default metrics that it types as gauges but names `…_total`, a suffix Prometheus
 * reserves for counters (promtool rejects them). The same figures remain, per type, in
 * nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
 */
const GAUGES_NAMED_TOTAL = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * Prometheus metrics, fed by the engine's events. Counters count what this node did; the queue
 * depth gauge reads the store at scrape time, so every node reports the same shared queue.
 * nightshift's own metrics are named nightshift_…; the process and Node.js metrics keep
 * prom-client's standard names (process_…, nodejs_…), the names stock dashboards query.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly #unsubscribe: Array<() => void> = [];

  constructor(services: Pick<Services, 'events' | 'health' | 'jobs' | 'models' | 'notifications' | 'series'>) {
    const { events, health, jobs, models, series } = services;
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    for (const name of GAUGES_NAMED_TOTAL) this.registry.removeSingleMetric(name);
    const runs = new Counter({ name: 'nightshift_runs_total', help: 'Runs that reached an end state on this node, by job, tenant and status', labelNames: ['job', 'tenant', 'status'], registers: r });
    const duration = new Histogram({
      name: 'nightshift_run_duration_seconds',
      help: 'Duration of finished runs',
      labelNames: ['job', 'status'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
      registers: r,
    });
    const lateness = new Histogram({
      name: 'nightshift_slot_lateness_seconds',
      help: 'Time from a slot being due (slot time plus jitter) to its decision',
      labelNames: ['fate'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 600, 3600],
      registers: r,
    });
    const slots = new Counter({ name: 'nightshift_slots_total', help: 'Schedule slots decided on this node, by fate', labelNames: ['fate'], registers: r });
    const retries = new Counter({ name: 'nightshift_retries_total', help: 'Transient failures scheduled for retry', labelNames: ['job', 'tenant'], registers: r });
    const recovered = new Counter({ name: 'nightshift_recovered_leases_total', help: 'Runs recovered after their worker stopped heartbeating', labelNames: ['outcome'], registers: r });
    new Gauge({
      name: 'nightshift_runs_running',
      help: 'Runs executing on this node now',
      registers: r,
      collect() {
        this.set(health.running);
      },
    });
    new Gauge({
      name: 'nightshift_queue_depth',
      help: 'Queued and running runs in the shared store, by job, tenant and status',
      labelNames: ['job', 'tenant', 'status'],
      registers: r,
      async collect() {
        this.reset();
        for (const row of await health.queueDepth()) this.set({ job: row.job_id, tenant: row.tenant_id, status: row.status }, row.n);
      },
    });

    new Gauge({
      name: 'nightshift_alerts_open',
      help: 'Alerts not yet resolved (open or acknowledged), by type and severity, in the shared store',
      labelNames: ['type', 'severity'],
      registers: r,
      async collect() {
        this.reset();
        for (const row of await series.openAlertCounts()) this.set({ type: row.type, severity: row.severity }, row.n);
      },
    });
    // Both model gauges from one read of the store per scrape.
    let gaugeRead: { at: number; rows: Promise<Awaited<ReturnType<typeof series.gauges>>> } | null = null;
    const gauges = () => {
      const now = Date.now();
      if (!gaugeRead || now - gaugeRead.at > 1000) gaugeRead = { at: now, rows: series.gauges() };
      return gaugeRead.rows;
    };
    new Gauge({
      name: 'nightshift_model_champion_metric',
      help: "The champion's holdout metrics at its training (the gate's figures), by tenant, model and metric",
      labelNames: ['tenant', 'model', 'metric'],
      registers: r,
      async collect() {
        this.reset();
        for (const g of await gauges()) for (const [metric, value] of Object.entries(g.gate)) this.set({ tenant: g.tenantId, model: g.model, metric }, value);
      },
    });
    new Gauge({
      name: 'nightshift_model_live_metric',
      help: "The champion's live metric on late labels (its latest point), by tenant, model and metric; accuracy too for binary models",
      labelNames: ['tenant', 'model', 'metric'],
      registers: r,
      async collect() {
        this.reset();
        for (const g of await gauges()) {
          if (!g.live) continue;
          this.set({ tenant: g.tenantId, model: g.model, metric: g.live.metric }, g.live.value);
          if (g.live.accuracy !== null && g.live.metric !== 'accuracy') this.set({ tenant: g.tenantId, model: g.model, metric: 'accuracy' }, g.live.accuracy);
        }
      },
    });

    const trainings = new Counter({
      name: 'nightshift_trainings_total',
      help: 'Training runs ended on this node, by model job, tenant and outcome (promoted, rejected by the gate, no_data, champion_changed, or the run status when it failed)',
      labelNames: ['job', 'tenant', 'outcome'],
      registers: r,
    });
    // The model cache keeps its own figures; they are read at scrape time. Its counts only grow
    // (since the process started), so they are counters, set to the cache's count at each scrape.
    type CacheStats = ReturnType<Services['models']['cache']['stats']>;
    const cacheGauge = (name: string, help: string, pick: (s: CacheStats) => number) =>
      new Gauge({ name: `nightshift_model_cache_${name}`, help, registers: r, collect() { this.set(pick(models.cache.stats())); } });
    const cacheCounter = (name: string, help: string, pick: (s: CacheStats) => number) =>
      new Counter({
        name: `nightshift_model_cache_${name}_total`,
        help,
        registers: r,
        collect() {
          this.reset();
          this.inc(pick(models.cache.stats()));
        },
      });
    cacheGauge('entries', 'Champion models loaded in memory', (s) => s.entries);
    cacheGauge('bytes', 'Artifact bytes of the models in memory', (s) => s.bytes);
    cacheCounter('loads', 'Champion artifacts loaded since the process started', (s) => s.loads);
    cacheCounter('load_errors', 'Champion artifacts that could not be loaded since the process started (the previous champion kept serving)', (s) => s.loadErrors);
    cacheCounter('evictions', 'Models evicted to stay within the memory bound since the process started', (s) => s.evictions);

    registerNotificationMetrics(this.registry, services.notifications);

    const trainJobs = new Map<string, Promise<boolean>>();
    const isTrainJob = (jobId: string): Promise<boolean> => {
      let known = trainJobs.get(jobId);
      if (!known) {
        known = jobs.get(jobId).then((job) => {
          // A job not defined (yet) is asked again next time, as is a lookup that failed.
          if (!job) trainJobs.delete(jobId);
          return job?.kind === 'train';
        });
        known.catch(() => trainJobs.delete(jobId));
        trainJobs.set(jobId, known);
      }
      return known;
    };
    this.#unsubscribe.push(
      events.on('run:finished', ({ run }) => {
        runs.inc({ job: run.job_id, tenant: run.tenant_id, status: run.status });
        // Train jobs may be declared over the API too: ask the store what kind the job is, once per job
        // (a job id keeps its kind), not once per run.
        void isTrainJob(run.job_id).then(
          (train) => train && trainings.inc({ job: run.job_id, tenant: run.tenant_id, outcome: run.status === 'succeeded' ? (run.outcome ?? 'succeeded') : run.status }),
          () => undefined,
        );
        if (run.duration_ms !== null) duration.observe({ job: run.job_id, status: run.status }, run.duration_ms / 1000);
      }),
      events.on('slot:decided', ({ fate, lateMs, runId, jobId, tenantId }) => {
        slots.inc({ fate });
        lateness.observe({ fate }, lateMs / 1000);
        // A skipped slot with a run id left a `skipped` run in history: count it with the others.
        if (fate === 'skipped' && runId) runs.inc({ job: jobId, tenant: tenantId, status: 'skipped' });
      }),
      events.on('run:retry', ({ run }) => retries.inc({ job: run.job_id, tenant: run.tenant_id })),
      events.on('run:recovered', ({ run, requeued }) => {
        recovered.inc({ outcome: requeued ? 'requeued' : 'failed' });
        // Out of attempts, recovery ends the run as failed: count it like any other end.
        if (!requeued) runs.inc({ job: run.job_id, tenant: run.tenant_id, status: 'failed' });
      }),
    );
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.registry.clear();
  }
}
