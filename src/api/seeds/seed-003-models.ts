/**
 * Seed 003's model endpoints: `POST /api/training/train` (train the organization's models now) and
 * `POST /api/training/rollback` (champion back to an earlier version). They act on the declared
 * model the body names (`modelName`; a name the organization has no model of is 404 listing its
 * models), else: training, on every declared model of the organization; rollback, on its only one.
 */
import { Type } from 'typebox';
import { NsError } from '../../errors.ts';
import { iso } from '../dto.ts';
import { described, errors, MAX_VERSION, VersionNumber } from '../schemas.ts';
import type { Api } from '../types.ts';
import type { RunView } from '../../services/run-service.ts';
import { absentBodyAsEmpty, modelNameOf, oneTarget, roleTargets, SEED_TAGS, TenantField, type RoleTarget, type RoleTargets, type SeedServices } from './role-job.ts';

const Org = TenantField('the organization (a nightshift tenant); optional when only one is declared');

const TrainBody = Type.Object(
  {
    organizationId: Org,
    modelName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a declared model of the organization (404 listing its models otherwise); without it, every declared model of the organization trains' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    dataRangeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660 })),
  },
  { additionalProperties: false },
);

const RollbackBody = Type.Object(
  {
    organizationId: Org,
    targetVersion: Type.Union([VersionNumber, Type.String({ minLength: 1, maxLength: 200 })], { description: '3, "v3" or the version name "failure_acme_v3"' }),
    modelName: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the declared model; required when the organization has several' })),
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
  runs: Type.Array(Type.Object({ model: Type.String(), runId: Type.String(), status: Type.String(), queuedAt: Type.String({ format: 'date-time' }) }), {
    description: 'nightshift addition: every run queued, one per model (model, runId above are the first)',
  }),
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

/** A command training job has no declared model to train or roll back through nightshift. */
function declaredModel(t: RoleTarget): string {
  if (t.job.kind !== 'train') {
    throw new NsError('NS_VALIDATION', `the training job "${t.job.id}" runs a command, not a declared model; declare a model (config models:) to train and roll back through nightshift`, { field: 'modelName' });
  }
  return t.job.model;
}

/** The models a training request is about: the named one, else every declared model of the organization. */
function modelsToTrain(t: RoleTargets, named: string | undefined): RoleTarget[] {
  if (named !== undefined) return [oneTarget(t, named)];
  const trains = t.jobs.filter((j) => j.kind === 'train').map((job) => ({ tenantId: t.tenantId, job }));
  if (trains.length === 0) declaredModel({ tenantId: t.tenantId, job: t.jobs[0]! });
  return trains;
}

/** 3, "3", "v3" or "failure_acme_v3" → 3. */
export function parseTargetVersion(v: number | string, model: string, tenantId: string): number {
  if (typeof v === 'number') return v;
  const m = new RegExp(`^(?:v|${model}_${tenantId}_v)?(\\d+)$`).exec(v.trim());
  const n = m ? Number(m[1]) : NaN;
  // A number no version can have (0, or past the store's 32-bit column) is bad input, not a store error.
  if (!(n >= 1 && n <= MAX_VERSION)) throw new NsError('NS_VALIDATION', `targetVersion: "${v}" is not a version of model "${model}"; send 3, "v3" or "${model}_${tenantId}_v3"`, { field: 'targetVersion' });
  return n;
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
      const targets = await roleTargets(services, 'training', body.organizationId, 'organizationId');
      const models = modelsToTrain(targets, body.modelName);
      const params = { ...(body.description ? { description: body.description } : {}), ...(body.dataRangeDays ? { dataRangeDays: body.dataRangeDays } : {}) };
      // All or none: refused (409 naming the run) while any of them is training, before any is queued.
      for (const m of models) {
        const active = await services.runs.active(m.tenantId, m.job.id);
        const inFlight = active.find((r) => r.status === 'running') ?? active[0];
        if (inFlight) {
          throw new NsError('NS_CONFLICT', `model "${modelNameOf(m.job)}" of organization "${m.tenantId}" already has run ${inFlight.id} ${inFlight.status}; wait for it or cancel it (POST /api/training/cancel)`, {
            field: 'modelName',
            details: { runId: inFlight.id, status: inFlight.status },
          });
        }
      }
      // One request, one audit entry, however many models it trains.
      const runs = await services.audit.track(
        (done: Array<{ model: string; run: RunView }>) => ({ action: 'training.trigger', tenantId: targets.tenantId, target: `tenant/${targets.tenantId}`, after: { runs: done.map((r) => ({ model: r.model, runId: r.run.id })), params } }),
        async () => {
          const queued: Array<{ model: string; run: RunView }> = [];
          for (const m of models) queued.push({ model: declaredModel(m), run: await services.models.train(m.tenantId, declaredModel(m), params) });
          return queued;
        },
      );
      const first = runs[0]!;
      const names = runs.map((r) => `"${r.model}"`).join(', ');
      return reply.status(202).send({
        success: true,
        message: `Training of model${runs.length > 1 ? 's' : ''} ${names} queued for organization "${targets.tenantId}"`,
        organizationId: targets.tenantId,
        model: first.model,
        runId: first.run.id,
        status: first.run.status,
        queuedAt: iso(first.run.queued_at),
        runs: runs.map((r) => ({ model: r.model, runId: r.run.id, status: r.run.status, queuedAt: iso(r.run.queued_at) })),
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
      const t = oneTarget(await roleTargets(services, 'training', body.organizationId, 'organizationId'), body.modelName);
      const model = declaredModel(t);
      const target = parseTargetVersion(body.targetVersion, model, t.tenantId);
      const update = await services.models.rollback(t.tenantId, model, target, { ...(body.reason ? { reason: body.reason } : {}) });
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
