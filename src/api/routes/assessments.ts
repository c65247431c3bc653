/**
 * A model's retrain decisions: the stored ones (each run's, newest first, paged), a dry run of the
 * decision a run would make now, and the live metric they read (late labels of logged predictions).
 */
import { decodeTimeIdCursor, encodeTimeIdCursor } from '../time-id-cursor.ts';
import { Type } from 'typebox';
import type { ModelService } from '../../models/model-service.ts';
import type { StoredAssessment } from '../../models/stored-assessment.ts';
import type { Assessment } from '../../policy/assess.ts';
import { NsError } from '../../errors.ts';
import { iso } from '../dto.ts';
import { described, errors } from '../schemas.ts';
import type { Api } from '../types.ts';

const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' });
const ModelParams = Type.Object({ tenantId: Id, model: Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$' }) }, { additionalProperties: false });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Rule = Type.Object({
  rule: Type.String({ enum: ['minNewSamples', 'minLiveMetric', 'maxDaysSinceTraining', 'drift'] }),
  value: Nullable(Type.Number()),
  threshold: Type.Number(),
  verdict: Type.String({ enum: ['retrain', 'ok', 'not_evaluated'] }),
  detail: Type.String(),
});

export const AssessmentSchema = Type.Object({
  train: Type.Boolean(),
  reason: Type.String({ enum: ['no_champion', 'forced', 'no_policy', 'policy', 'no_training_needed'] }),
  summary: Type.String(),
  combine: Type.String({ enum: ['any', 'all'] }),
  rules: Type.Array(Rule),
  champion: Nullable(Type.Object({ version: Type.Integer(), trainedUntil: Nullable(Type.String()), createdAt: Type.String() })),
  counts: Type.Object({ newSamples: Nullable(Type.Integer()), liveRows: Nullable(Type.Integer()), driftRows: Nullable(Type.Integer()) }),
  window: Type.Object({ since: Nullable(Type.String()), until: Type.String() }),
  drift: Nullable(Type.Object({}, { additionalProperties: true, description: 'per column: psi, ks {d, pValue}, new categories, drifted, by' })),
});

const Stored = Type.Object({ id: Type.String(), runId: Nullable(Type.String()), at: Type.String(), assessment: AssessmentSchema });

export function assessmentDto(a: Assessment) {
  return {
    ...a,
    champion: a.champion ? { version: a.champion.version, trainedUntil: iso(a.champion.trainedUntil), createdAt: iso(a.champion.createdAt) } : null,
    window: { since: iso(a.window.since), until: iso(a.window.until) },
  };
}

/** A training's retrain decision, from its result (null when it was not assessed). */
export function assessmentOfResult(result: string | null) {
  const a = result ? (JSON.parse(result) as { assessment?: Assessment }).assessment : undefined;
  return a ? assessmentDto(a) : null;
}

const storedDto = (s: StoredAssessment) => ({ id: s.id, runId: s.runId, at: iso(s.at), assessment: assessmentDto(s.assessment) });

/** `<at>.<id>` of the last row of a page. */
const cursorOf = (s: StoredAssessment) => encodeTimeIdCursor(s.at, s.id);

export function assessmentRoutes(app: Api, models: ModelService): void {
  app.get(
    '/api/tenants/:tenantId/models/:model/assessments',
    {
      schema: {
        operationId: 'listModelAssessments',
        tags: ['models'],
        summary: "The model's retrain decisions, newest first: each rule's value, threshold and verdict, the counts and the window, and the run it belongs to",
        params: ModelParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: described(Type.Object({ assessments: Type.Array(Stored), nextCursor: Nullable(Type.String()) }), 'A page of decisions; pass nextCursor back as cursor for the next (older) page'), ...errors(400, 404) },
      },
    },
    async (request) => {
      const { tenantId, model } = request.params;
      const limit = request.query.limit ?? 50;
      const rows = await models.assessments(tenantId, model, { limit: limit + 1, ...(request.query.cursor ? { before: decodeTimeIdCursor(request.query.cursor) } : {}) });
      const page = rows.slice(0, limit);
      return { assessments: page.map(storedDto), nextCursor: rows.length > limit ? cursorOf(page.at(-1)!) : null };
    },
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/assess',
    {
      schema: {
        operationId: 'assessModel',
        tags: ['models'],
        summary: 'The decision a run would make now (a dry run: nothing is trained or stored)',
        params: ModelParams,
        response: { 200: described(AssessmentSchema, 'What a run would decide now, rule by rule'), ...errors(400, 404) },
      },
    },
    async (request) => assessmentDto(await models.assess(request.params.tenantId, request.params.model)),
  );

  const Point = { value: Nullable(Type.Number()), rows: Type.Integer() };
  app.get(
    '/api/tenants/:tenantId/models/:model/live',
    {
      schema: {
        operationId: 'getModelLiveMetric',
        tags: ['models'],
        summary:
          "The champion's live metric: its logged predictions whose labels arrived later, scored with the primary metric, overall and per day (UTC); and the latest rejected candidate's shadow score on the same rows",
        params: ModelParams,
        querystring: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: 'how far back (default 30)' })) }, { additionalProperties: false }),
        response: {
          200: described(Type.Object({
            metric: Type.String(),
            since: Type.String(),
            champion: Nullable(Type.Object({ version: Type.Integer(), ...Point, daily: Type.Array(Type.Object({ day: Type.String(), ...Point })) })),
            shadow: Nullable(Type.Object({ version: Type.Integer(), ...Point })),
          }), 'The live metric overall and per day, and the shadow score (null without a rejected candidate)'),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const live = await models.live(request.params.tenantId, request.params.model, request.query.days ?? 30);
      return { ...live, since: iso(live.since) };
    },
  );
}
