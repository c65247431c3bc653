/**
 * Seed 004 (DysLex background jobs): `POST /api/v1/learn/trigger-retrain`, the per-user retrain
 * run "now instead of waiting for 2:30 AM", over the user's training jobs (`role: training`: every
 * model of theirs). A user is a nightshift tenant. A retrain asked for while one is in flight is
 * queued behind it (seed 000's "add to queue"), and the answer says so; one already waiting is the
 * answer (it has not started, so it trains on the same data a new one would).
 */
import { Type } from 'typebox';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty, IsoOrNull, modelNameOf, queueRun, roleTargets, RunsQueued, runsQueuedDto, SEED_TAGS, TenantField, type SeedServices } from './role-job.ts';

const RetrainBody = Type.Object(
  { user_id: TenantField('the user whose model to retrain (a nightshift tenant); optional when only one is declared') },
  { additionalProperties: false },
);

const RetrainResponse = Type.Object({
  status: Type.String({
    enum: ['triggered', 'queued'],
    description: '"triggered": the retrain starts now; "queued": one was in flight, so it runs after it (or one already waiting will)',
  }),
  message: Type.String(),
  user_id: Type.String(),
  job_id: Type.String({ description: 'the (first) training job that runs; `runs` lists every one' }),
  run_id: Type.String(),
  queued_at: Type.String({ format: 'date-time' }),
  estimated_completion: IsoOrNull,
  next_run_time: IsoOrNull,
  runs: RunsQueued,
});

export function learnRoutes(app: Api, services: SeedServices): void {
  app.post(
    '/api/v1/learn/trigger-retrain',
    {
      schema: {
        operationId: 'seed004TriggerRetrain',
        tags: SEED_TAGS,
        summary: "Seed 004: retrain the user's models now; queued behind a retrain of theirs in flight",
        body: RetrainBody,
        response: { 200: described(RetrainResponse, 'Triggered or queued: the retraining run, its estimated completion and the next scheduled run'), ...errors(400, 404) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const targets = await roleTargets(services, 'training', request.body.user_id, 'user_id');
      const results = await services.audit.track(
        (done: Array<{ run: { id: string }; queuedNow: boolean }>) => ({ action: 'training.trigger', tenantId: targets.tenantId, target: `tenant/${targets.tenantId}`, after: { runs: done.map((r) => ({ runId: r.run.id, queuedNow: r.queuedNow })) } }),
        async () => {
          const out = [];
          for (const job of targets.jobs) {
            const inFlight = (await services.runs.active(targets.tenantId, job.id)).find((r) => r.status === 'running' || r.status === 'queued');
            const { run, queuedNow } = await queueRun(services, { tenantId: targets.tenantId, job });
            out.push({ job, run, behind: inFlight && inFlight.id !== run.id ? inFlight : null, queuedNow });
          }
          return out;
        },
      );
      const waiting = results.filter((r) => r.behind || !r.queuedNow);
      const first = results[0]!;
      const who = `user "${targets.tenantId}"${results.length > 1 ? ` (${results.length} models: ${targets.jobs.map(modelNameOf).join(', ')})` : ''}`;
      const message =
        waiting.length === 0
          ? `Model retraining triggered for ${who}`
          : `Model retraining queued for ${who}: ${waiting
              .map((r) => (r.queuedNow ? `"${modelNameOf(r.job)}" runs after run ${r.behind!.id} (${r.behind!.status})` : `"${modelNameOf(r.job)}" already has run ${r.run.id} waiting`))
              .join('; ')}`;
      const next = await services.schedules.nextDueAt(targets.tenantId, first.job.id);
      return {
        status: waiting.length === 0 ? ('triggered' as const) : ('queued' as const),
        message,
        user_id: targets.tenantId,
        job_id: first.job.id,
        run_id: first.run.id,
        queued_at: iso(first.run.queued_at)!,
        estimated_completion: iso(first.run.eta),
        next_run_time: iso(next),
        runs: runsQueuedDto(targets, results.map((r) => r.run)),
      };
    },
  );
}
