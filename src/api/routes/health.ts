import { Type } from 'typebox';
import type { EngineMetrics } from '../../monitor/metrics.ts';
import type { HealthReport, HealthService } from '../../services/health-service.ts';
import { jobHealthDto } from '../dto.ts';
import { described, errors, NoQuery } from '../schemas.ts';
import type { Api } from '../types.ts';

const NullableInt = Type.Union([Type.Integer(), Type.Null()]);

const Store = Type.Object({
  dialect: Type.String(),
  reachable: Type.Boolean(),
  error: Type.Optional(Type.String()),
  wal: Type.Optional(Type.Boolean({ description: 'SQLite: whether the store runs in WAL mode (false: the filesystem refused it; see note)' })),
  note: Type.Optional(Type.String()),
});

const ModelReadiness = Type.Object({
  tenantId: Type.String(),
  model: Type.String(),
  championVersion: NullableInt,
  loadedVersion: Type.Union([Type.Integer(), Type.Null()], { description: "the version in this process's model cache" }),
  ready: Type.Boolean({ description: 'it has a champion, in memory or loadable' }),
  reason: Type.Union([Type.String(), Type.Null()]),
  lastTraining: Type.Union([Type.Object({ at: Type.String(), status: Type.String(), outcome: Type.Union([Type.String(), Type.Null()]) }), Type.Null()], { description: 'its latest ended training' }),
  openAlerts: Type.Array(Type.String(), { description: 'types of its alerts not yet resolved (GET /api/alerts)' }),
});

/** The store and this process's loops: in the full report and in the summary alike. */
const loopFields = {
  store: Store,
  scheduler: Type.String(),
  workers: Type.String(),
  running: Type.Integer(),
  concurrency: Type.Integer(),
  node: Type.String(),
};

const Health = Type.Object({
  status: Type.String({ enum: ['ok', 'unavailable'] }),
  live: Type.Boolean(),
  ready: Type.Boolean(),
  /** Why it is not ready: empty when it is. */
  reasons: Type.Array(Type.String()),
  ...loopFields,
  jobs: Type.Array(
    Type.Object({
      jobId: Type.String(),
      lastStatus: Type.Union([Type.String(), Type.Null()]),
      lastFinishedAt: Type.Union([Type.String(), Type.Null()]),
      consecutiveFailures: Type.Integer(),
      running: Type.Integer(),
      queued: Type.Integer(),
      nextRunAt: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  models: Type.Array(ModelReadiness),
  modelCache: Type.Optional(
    Type.Object(
      {
        maxBytes: Type.Integer({ description: 'the bound, NIGHTSHIFT_MODEL_CACHE_MB in bytes' }),
        bytes: Type.Integer({ description: "the cached champions' artifact sizes, summed" }),
        entries: Type.Integer(),
        loads: Type.Integer({ description: 'champions read and loaded since start (attempts)' }),
        evictions: Type.Integer({ description: 'champions dropped to stay under maxBytes since start' }),
        loadErrors: Type.Integer(),
        hits: Type.Integer(),
        misses: Type.Integer(),
      },
      { description: "this process's model cache, read from memory" },
    ),
  ),
  historyCache: Type.Optional(
    Type.Object(
      {
        maxSamples: Type.Integer({ description: 'the bound, NIGHTSHIFT_HISTORY_CACHE_SAMPLES (0: off)' }),
        samples: Type.Integer(),
        entities: Type.Integer(),
        hits: Type.Integer({ description: 'entities answered from memory since start' }),
        misses: Type.Integer({ description: 'entities read from the store since start' }),
        storeReads: Type.Integer({ description: 'store reads of samples since start' }),
        invalidations: Type.Integer({ description: "datasets dropped because another process wrote to them" }),
      },
      { description: "this process's per-entity history cache (lag and rolling features), read from memory" },
    ),
  ),
});

const Summary = Type.Object({
  status: Type.String({ enum: ['ok', 'unavailable'] }),
  ...loopFields,
  draining: Type.Boolean(),
  reasons: Type.Array(Type.String({ description: 'why the store or the loops are not ready; per-model readiness is in GET /health' })),
});

const Live = Type.Object({ live: Type.Boolean(), node: Type.String() });
const Ready = Type.Object({ ready: Type.Boolean(), reasons: Type.Array(Type.String()) });

/** True while the HTTP server is closing: health answers 503 so load balancers stop sending work. */
export interface DrainState {
  draining: boolean;
}

/**
 * Why this process is not ready to take traffic: the store does not answer, it is draining, a loop
 * is not running, or a declared model has no champion that can serve. Empty when ready.
 */
export function notReadyReasons(r: Pick<HealthReport, 'store' | 'scheduler' | 'workers' | 'models'>, drain: DrainState): string[] {
  const loopsOk = (state: string) => state === 'running' || state === 'idle';
  const reasons: string[] = [];
  if (!r.store.reachable) reasons.push(`store unreachable: ${r.store.error ?? 'no answer'}`);
  if (drain.draining) reasons.push('draining: the server is shutting down');
  if (!loopsOk(r.scheduler)) reasons.push(`scheduler ${r.scheduler}`);
  if (!loopsOk(r.workers)) reasons.push(`workers ${r.workers}`);
  for (const m of r.models) if (!m.ready) reasons.push(`model "${m.model}" of tenant "${m.tenantId}": ${m.reason ?? 'not ready'}`);
  return reasons;
}

export function healthRoutes(app: Api, health: HealthService, drain: DrainState, metrics: EngineMetrics): void {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['ops'],
        summary: 'The full report: readiness with its reasons, store, loops, per-job status, per-model readiness; 503 until ready',
        querystring: NoQuery,
        response: {
          200: described(Health, 'Ready: the store answers, the scheduler and workers run, and every declared model can serve'),
          503: described(Health, 'Not ready, with the reasons: the store does not answer, a loop stopped, a model cannot serve yet, or the server is draining for shutdown (`live` stays true while the process answers)'),
          ...errors(400),
        },
      },
    },
    async (_request, reply) => {
      const r = await health.report();
      const reasons = notReadyReasons(r, drain);
      const ready = reasons.length === 0;
      const body = {
        status: ready ? ('ok' as const) : ('unavailable' as const),
        live: true,
        ready,
        reasons,
        store: r.store,
        scheduler: r.scheduler,
        workers: r.workers,
        running: r.running,
        concurrency: r.concurrency,
        node: r.node,
        jobs: r.jobs.map(jobHealthDto),
        models: r.models.map((m) => ({ ...m, lastTraining: m.lastTraining ? { ...m.lastTraining, at: new Date(m.lastTraining.at).toISOString() } : null })),
        ...(r.modelCache ? { modelCache: r.modelCache } : {}),
        ...(r.historyCache ? { historyCache: r.historyCache } : {}),
      };
      return reply.status(ready ? 200 : 503).send(body);
    },
  );

  app.get(
    '/health/summary',
    {
      schema: {
        operationId: 'getHealthSummary',
        tags: ['ops'],
        summary: "The service's state in one store ping: store, scheduler, workers, busy slots, draining (no per-job or per-model figures, no tenant names); always 200",
        querystring: NoQuery,
        response: { 200: described(Summary, 'The state; status unavailable when the store, a loop or draining keeps it from working'), ...errors(400) },
      },
    },
    async () => {
      const s = await health.summary();
      const reasons = notReadyReasons({ ...s, models: [] }, drain);
      return { status: reasons.length === 0 ? ('ok' as const) : ('unavailable' as const), ...s, draining: drain.draining, reasons };
    },
  );

  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['ops'],
        summary: 'Liveness: 200 while the process runs and answers HTTP, whatever the store or the models',
        querystring: NoQuery,
        response: { 200: described(Live, 'The process answers'), ...errors(400) },
      },
    },
    async () => ({ live: true, node: health.node }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['ops'],
        summary: 'Readiness: 200 once the store answers, the loops run and every declared model can serve; 503 with the reasons until then',
        querystring: NoQuery,
        response: { 200: described(Ready, 'Ready to serve'), 503: described(Ready, 'Not ready: the reasons'), ...errors(400) },
      },
    },
    async (_request, reply) => {
      const reasons = notReadyReasons(await health.report(), drain);
      return reply.status(reasons.length === 0 ? 200 : 503).send({ ready: reasons.length === 0, reasons });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        operationId: 'getMetrics',
        tags: ['ops'],
        summary: "Prometheus metrics: nightshift's own (nightshift_…) and the standard process_… and nodejs_… families",
        querystring: NoQuery,
        response: {
          200: { description: 'The Prometheus text exposition format (version 0.0.4)', content: { 'text/plain': { schema: Type.String() } } },
          ...errors(400),
        },
      },
    },
    async (_request, reply) => {
      const text = await metrics.metrics();
      return reply.header('content-type', metrics.contentType).send(text);
    },
  );
}
