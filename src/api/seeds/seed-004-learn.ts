/**
 * Seed 004 (DysLex background jobs): `POST /api/v1/learn/trigger-retrain`, the per-user retrain
 * run "now instead of waiting for 2:30 AM", over the job configured with `role: training`. A user
 * is a nightshift tenant.
 */
import { Type } from 'typebox';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty, IsoOrNull, roleTarget, SEED_TAGS, TenantField, type SeedServices } from './role-job.ts';

const RetrainBody = Type.Object(
  { user_id: TenantField('the user whose model to retrain (a nightshift tenant); optional when only one is declared') },
  { additionalProperties: false },
);

const RetrainResponse = Type.Object({
  status: Type.String({ enum: ['triggered'] }),
  message: Type.String(),
  user_id: Type.String(),
  job_id: Type.String({ description: 'the training job that runs' }),
  run_id: Type.String(),
  queued_at: Type.String({ format: 'date-time' }),
  estimated_completion: IsoOrNull,
  next_run_time: IsoOrNull,
});

export function learnRoutes(app: Api, services: SeedServices): void {
  app.post(
    '/api/v1/learn/trigger-retrain',
    {
      schema: {
        operationId: 'seed004TriggerRetrain',
        tags: SEED_TAGS,
        summary: "Seed 004: retrain the user's model now; 409 while a retrain of theirs is in flight",
        body: RetrainBody,
        response: { 200: described(RetrainResponse, 'Triggered: the retraining run, its estimated completion and the next scheduled run'), ...errors(400, 404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request) => {
      const target = await roleTarget(services, 'training', request.body.user_id, 'user_id');
      const run = await services.runs.trigger(target.job.id, target.tenantId, { mode: 'now' });
      return {
        status: 'triggered' as const,
        message: `Model retraining triggered for user "${target.tenantId}"`,
        user_id: target.tenantId,
        job_id: target.job.id,
        run_id: run.id,
        queued_at: iso(run.queued_at),
        estimated_completion: iso(run.eta),
        next_run_time: iso(await services.schedules.nextDueAt(target.tenantId, target.job.id)),
      };
    },
  );
}
