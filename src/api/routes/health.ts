import { Type } from 'typebox';
import type { EngineMetrics } from '../../monitor/metrics.ts';
import type { HealthService } from '../../services/health-service.ts';
import { jobHealthDto } from '../dto.ts';
import type { Api } from '../types.ts';

const Health = Type.Object({
  status: Type.String({ enum: ['ok', 'unavailable'] }),
  live: Type.Boolean(),
  ready: Type.Boolean(),
  store: Type.Object({ dialect: Type.String(), reachable: Type.Boolean(), error: Type.Optional(Type.String()) }),
  scheduler: Type.String(),
  workers: Type.String(),
  running: Type.Integer(),
  concurrency: Type.Integer(),
  node: Type.String(),
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

/** True while the HTTP server is closing: health answers 503 so load balancers stop sending work. */
export interface DrainState {
  draining: boolean;
}

export function healthRoutes(app: Api, health: HealthService, drain: DrainState, metrics: EngineMetrics): void {
  app.get('/health', { schema: { tags: ['ops'], summary: 'Liveness and readiness, with per-job status', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const r = await health.report();
    const loopsOk = (state: string) => state === 'running' || state === 'idle';
    const ready = r.store.reachable && !drain.draining && loopsOk(r.scheduler) && loopsOk(r.workers);
    const body = {
      status: ready ? ('ok' as const) : ('unavailable' as const),
      live: true,
      ready,
      store: r.store,
      scheduler: r.scheduler,
      workers: r.workers,
      running: r.running,
      concurrency: r.concurrency,
      node: r.node,
      jobs: r.jobs.map(jobHealthDto),
      ...(r.modelCache ? { modelCache: r.modelCache } : {}),
      ...(r.historyCache ? { historyCache: r.historyCache } : {}),
    };
    return reply.status(ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics (text exposition format)', hide: false } }, async (_request, reply) => {
    const text = await metrics.metrics();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
