import { Type } from 'typebox';
import type { Engine } from '../../engine.ts';
import type { EngineMetrics } from '../../monitor/metrics.ts';
import { listJobs } from '../../store/jobs.ts';
import { jobHealth, pingStore } from '../../store/job-health.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
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
});

/** True while the HTTP server is closing: health answers 503 so load balancers stop sending work. */
export interface DrainState {
  draining: boolean;
}

export function healthRoutes(app: Api, engine: Engine, drain: DrainState, metrics: EngineMetrics): void {
  app.get('/health', { schema: { tags: ['ops'], summary: 'Liveness and readiness, with per-job status', response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    let reachable = true;
    let error: string | undefined;
    try {
      await pingStore(engine.db.k);
    } catch (e) {
      reachable = false;
      error = (e as Error).message;
    }
    const jobs = reachable ? (await jobHealth(engine.db.k, ALL_TENANTS, (await listJobs(engine.db.k)).map((j) => j.id))).map(jobHealthDto) : [];
    const loopsOk = (state: string) => state === 'running' || state === 'idle';
    const ready = reachable && !drain.draining && loopsOk(engine.scheduler.lifecycle.state) && loopsOk(engine.workers.lifecycle.state);
    const body = {
      status: ready ? ('ok' as const) : ('unavailable' as const),
      live: true,
      ready,
      store: { dialect: engine.db.dialect, reachable, ...(error ? { error } : {}) },
      scheduler: engine.scheduler.lifecycle.state,
      workers: engine.workers.lifecycle.state,
      running: engine.workers.activeCount,
      concurrency: engine.settings.concurrency,
      node: engine.settings.nodeId,
      jobs,
    };
    return reply.status(ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics (text exposition format)', hide: false } }, async (_request, reply) => {
    const text = await metrics.metrics();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
