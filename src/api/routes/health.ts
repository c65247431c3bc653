import { Type } from 'typebox';
import type { EngineMetrics } from '../../monitor/metrics.ts';
import type { HealthService } from '../../services/health-service.ts';
import { jobHealthDto } from '../dto.ts';
import { described, errors, NoQuery } from '../schemas.ts';
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

export function healthRoutes(app: Api, health: HealthService, drain: DrainState, metrics: EngineMetrics): void {
  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['ops'],
        summary: 'Liveness and readiness, with per-job status',
        querystring: NoQuery,
        response: {
          200: described(Health, 'Ready: the store answers and the scheduler and workers run'),
          503: described(Health, 'Not ready: the store does not answer, a loop stopped, or the server is draining for shutdown (`live` stays true while the process answers)'),
          ...errors(400),
        },
      },
    },
    async (_request, reply) => {
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
      };
      return reply.status(ready ? 200 : 503).send(body);
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
