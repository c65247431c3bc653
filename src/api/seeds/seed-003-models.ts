/**
 * Seed 003's model endpoints: `POST /api/training/train` (train the organization's model now) and
 * `POST /api/training/rollback` (champion back to an earlier version). They act on the model of
 * the organization's training job (`role: training`, a train job), or on the declared model the
 * body names.
 */
import { Type } from 'typebox';
import { NsError } from '../../errors.ts';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';
import { absentBodyAsEmpty, roleTarget, SEED_TAGS, TenantField, type RoleTarget, type SeedServices } from './role-job.ts';

const Org = TenantField('the organization (a nightshift tenant); optional when only one is declared');

const TrainBody = Type.Object(
  {
    organizationId: Org,
    modelName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "a declared model of the organization, else a label recorded with the run (the seed's use)" })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    dataRangeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660 })),
  },
  { additionalProperties: false },
);

const RollbackBody = Type.Object(
  {
    organizationId: Org,
    targetVersion: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1, maxLength: 200 })], { description: '3, "v3" or the version name "failure_acme_v3"' }),
    modelName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);

const TrainResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  organizationId: Type.String(),
  model: Type.String(),
  runId: Type.String(),
  status: Type.String(),
  queuedAt: Type.String({ format: 'date-time' }),
});

const RollbackResponse = Type.Object({
  success: Type.Boolean(),
  message: Type.String(),
  organizationId: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  versionName: Type.String(),
  previousVersion: Type.Union([Type.Integer(), Type.Null()]),
  changed: Type.Boolean(),
});

/** The declared model the request is about: the one it names, else the training job's. */
async function modelOf(services: SeedServices, t: RoleTarget, named: string | undefined): Promise<{ model: string; named: boolean }> {
  if (named !== undefined && (await services.models.find(t.tenantId, named))) return { model: named, named: true };
  if (t.job.kind !== 'train') {
    throw new NsError('NS_VALIDATION', `the training job "${t.job.id}" runs a command, not a declared model; declare a model (config models:) to train and roll back through nightshift`, { field: 'modelName' });
  }
  return { model: t.job.model, named: false };
}

/** 3, "3", "v3" or "failure_acme_v3" → 3. */
export function parseTargetVersion(v: number | string, model: string, tenantId: string): number {
  if (typeof v === 'number') return v;
  const m = new RegExp(`^(?:v|${model}_${tenantId}_v)?(\\d+)$`).exec(v.trim());
  if (!m) throw new NsError('NS_VALIDATION', `targetVersion: "${v}" is not a version of model "${model}"; send 3, "v3" or "${model}_${tenantId}_v3"`, { field: 'targetVersion' });
  return Number(m[1]);
}

export function trainingModelRoutes(app: Api, services: SeedServices): void {
  app.post(
    '/api/training/train',
    {
      schema: {
        operationId: 'seed003TrainModel',
        tags: SEED_TAGS,
        summary: "Seed 003: train the organization's model now (a run of its train job)",
        body: TrainBody,
        response: { 202: described(TrainResponse, 'Queued: the training run'), ...errors(400, 404, 409) },
      },
      preValidation: absentBodyAsEmpty,
    },
    async (request, reply) => {
      const body = request.body;
      const t = await roleTarget(services, 'training', body.organizationId, 'organizationId');
      const { model, named } = await modelOf(services, t, body.modelName);
      const label = !named && body.modelName ? body.modelName : undefined;
      const description = [label, body.description].filter(Boolean).join(': ') || undefined;
      const run = await services.models.train(t.tenantId, model, { ...(description ? { description } : {}), ...(body.dataRangeDays ? { dataRangeDays: body.dataRangeDays } : {}) });
      return reply.status(202).send({
        success: true,
        message: `Training of model "${model}" queued for organization "${t.tenantId}"`,
        organizationId: t.tenantId,
        model,
        runId: run.id,
        status: run.status,
        queuedAt: iso(run.queued_at),
      });
    },
  );

  app.post(
    '/api/training/rollback',
    {
      schema: {
        operationId: 'seed003RollbackModel',
        tags: SEED_TAGS,
        summary: "Seed 003: roll the organization's model back to an earlier version that passed its gate",
        body: RollbackBody,
        response: { 200: described(RollbackResponse, 'The champion is the target version (changed: false when it already was)'), ...errors(400, 404, 409) },
      },
    },
    async (request) => {
      const body = request.body;
      const t = await roleTarget(services, 'training', body.organizationId, 'organizationId');
      const { model } = await modelOf(services, t, body.modelName);
      const target = parseTargetVersion(body.targetVersion, model, t.tenantId);
      const update = await services.models.rollback(t.tenantId, model, target, { ...(body.reason ? { reason: body.reason } : {}), actor: 'api:/api/training/rollback' });
      const version = (await services.models.version(t.tenantId, model, update.change.version));
      return {
        success: true,
        message: update.changed ? `Model "${model}" rolled back to ${version.name}` : `${version.name} is already the champion`,
        organizationId: t.tenantId,
        model,
        version: version.version,
        versionName: version.name,
        previousVersion: update.change.previousVersion,
        changed: update.changed,
      };
    },
  );
}
