/**
 * Models per tenant: declare, list, train, versions (and their ONNX export), champion history,
 * promote, rollback, predict, ONNX import.
 * Every route is under the tenant; another tenant's model is simply not found.
 */
import { Buffer } from 'node:buffer';
import { Type } from 'typebox';
import { NsError } from '../../errors.ts';
import type { Principal } from '../../auth/principal.ts';
import type { ModelService } from '../../models/model-service.ts';
import { modelKey, type SeriesService } from '../../services/series-service.ts';
import { decodeOnnxBase64 } from '../../models/import-onnx.ts';
import { parsePredictBody } from '../../models/predict-input.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
import type { ModelDefinition } from '../../training/model-definition.ts';
import { iso, runDto } from '../dto.ts';
import { ChampionLiveSchema, championLiveDto } from '../live-dto.ts';
import { AliasChangeSchema, aliasChangeDto, ModelSchema, modelDto, OnnxExportSchema, onnxExportDto, PredictionSchema, VersionSchema, versionDto } from '../model-dto.ts';
import { described, errors, Id, Run, VersionNumber } from '../schemas.ts';
import type { Api } from '../types.ts';

const ModelName = Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$', description: 'model name: a lowercase letter, then letters, digits, _' });
const TAGS = ['models'];

const TenantParams = Type.Object({ tenantId: Id }, { additionalProperties: false });
const ModelParams = Type.Object({ tenantId: Id, model: ModelName }, { additionalProperties: false });
const VersionParams = Type.Object({ tenantId: Id, model: ModelName, version: VersionNumber }, { additionalProperties: false });

const TrainBody = Type.Object(
  {
    mode: Type.Optional(Type.String({ enum: ['full', 'incremental'], description: "default: the model's mode, else ML_TRAINING_MODE" })),
    dataRangeDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660, description: "window length; default the model's dataRangeDays" })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    queue: Type.Optional(Type.Boolean({ description: 'queue behind a training in flight instead of refusing (409)' })),
    force: Type.Optional(Type.Boolean({ description: "train whatever the model's retrain policy says (default true for a train request); false: the run assesses first and may end skipped (no_training_needed)" })),
  },
  { additionalProperties: false },
);
const RollbackBody = Type.Object({ targetVersion: VersionNumber, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false });
const PromoteBody = Type.Object(
  {
    version: VersionNumber,
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    expectedCurrent: Type.Optional(Type.Union([VersionNumber, Type.Null()], { description: 'refuse (409) unless this is still the champion (null: no champion)' })),
  },
  { additionalProperties: false },
);

export const MAX_PREDICT_ROWS = 1000;
// Values are checked against the champion's columns by predict-input.ts, which names the field as
// the caller wrote it; a union of the two body shapes here would report the batch branch's errors
// ("body.rows: required field is missing") for a single row.
const RowFields = {
  values: Type.Record(Type.String(), Type.Unknown(), { description: "raw column → value, as in the dataset: a number (numeric column), a string (categorical), or null (missing)" }),
  entity: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'needed for lag and rolling features' })),
  ts: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Number()], { description: 'ISO-8601 or epoch ms; default now' })),
};
const Row = Type.Object(RowFields, { additionalProperties: false });
const PredictBody = Type.Object(
  {
    rows: Type.Optional(Type.Array(Row, { minItems: 1, maxItems: MAX_PREDICT_ROWS, description: `a batch of at most ${MAX_PREDICT_ROWS} rows (instead of values, entity, ts)` })),
    values: Type.Optional(RowFields.values),
    entity: RowFields.entity,
    ts: RowFields.ts,
  },
  { additionalProperties: false, description: 'one row {values, entity?, ts?} or a batch {rows: [...]}' },
);
const PredictResponse = Type.Object({
  tenantId: Type.String(),
  model: Type.String(),
  version: Type.Integer(),
  versionName: Type.String(),
  predictions: Type.Array(PredictionSchema),
});

const AliasUpdateResponse = Type.Object({ changed: Type.Boolean(), change: AliasChangeSchema });

/**
 * A definition that runs a program on this host (a command trainer) or reads from it (a CSV file
 * path, a SQL connection) reaches beyond the tenant: only a super admin may declare one over the API
 * (an admin is its tenant's, not the machine's).
 */
function requireSuperAdminForHostAccess(principal: Principal | undefined, body: Record<string, unknown>): void {
  if (!principal || principal.role === 'super_admin') return;
  const kindOf = (v: unknown) => (v && typeof v === 'object' && 'kind' in v ? (v as { kind: unknown }).kind : undefined);
  const trainer = kindOf(body.trainer);
  const source = kindOf(body.source);
  const what = trainer === 'command' ? 'trainer.kind "command" (it runs a program on the server)' : source === 'csv' || source === 'sql' ? `source.kind "${String(source)}" (it reads a file or database the server reaches)` : null;
  if (what) throw new NsError('NS_FORBIDDEN', `${what}: only a super admin may declare it; declare it in the config file, or use the built-in trainers on the tenant's dataset`, { field: what.startsWith('trainer') ? 'trainer.kind' : 'source.kind', details: { required: 'super_admin', role: principal.role } });
}

/** `<tenant>/<model>` of a page's last row. */
function decodeModelCursor(text: string): { tenantId: string; model: string } {
  const [tenantId = '', model = ''] = Buffer.from(text, 'base64url').toString().split('/');
  if (!tenantId || !model) throw new NsError('NS_VALIDATION', 'cursor: not a cursor this route gave; pass nextCursor back unchanged', { field: 'cursor' });
  return { tenantId, model };
}

export function modelRoutes(app: Api, models: ModelService, series: Pick<SeriesService, 'championLive'>): void {

  app.get(
    '/api/models',
    {
      schema: {
        operationId: 'listAllModels',
        tags: TAGS,
        summary: 'Every declared model (optionally of one tenant) with its champion',
        querystring: Type.Object({ tenantId: Type.Optional(Id) }, { additionalProperties: false }),
        response: { 200: described(Type.Object({ models: Type.Array(ModelSchema) }), "Every tenant's models (or one tenant's), each with its champion"), ...errors(400, 404) },
      },
    },
    async (request) => ({ models: (await models.list(request.query.tenantId ?? ALL_TENANTS)).map(modelDto) }),
  );

  const OverviewRow = Type.Object({
    tenantId: Type.String(),
    model: Type.String(),
    jobId: Type.String(),
    description: Type.String(),
    task: Type.String(),
    primaryMetric: Type.String(),
    champion: Type.Union([Type.Object({ version: Type.Integer(), name: Type.String(), createdAt: Type.String({ format: 'date-time' }), metrics: Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()])) }), Type.Null()]),
    lastRun: Type.Union([Run, Type.Null()]),
    nextSlotAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    live: ChampionLiveSchema,
  });
  app.get(
    '/api/models/overview',
    {
      schema: {
        operationId: 'listModelOverview',
        tags: TAGS,
        summary: "A page of models (optionally of one tenant), by tenant and name: champion, latest run of the train job, next enabled slot, the champion's live metric and its trend",
        querystring: Type.Object(
          {
            tenantId: Type.Optional(Id),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
            cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: described(Type.Object({ models: Type.Array(OverviewRow), total: Type.Integer({ description: 'models in the scope' }), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 'A page of models; nextCursor fetches the next one (null on the last page)'),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const { tenantId, limit = 50, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeModelCursor(cursor);
      const { rows, total } = await models.overview(tenantId ?? ALL_TENANTS, { limit: limit + 1, ...(after ? { after } : {}) });
      const page = rows.slice(0, limit).map((a) => ({ ...a, definition: JSON.parse(a.spec) as ModelDefinition }));
      // The page's live metrics and trends in one statement: the dashboard asks nothing per model.
      const live = await series.championLive(page.map((a) => ({ tenantId: a.tenantId, model: a.model, championVersion: a.champion?.version ?? null, definition: a.definition })));
      return {
        models: page.map((a) => {
          const spec = a.definition;
          return {
            tenantId: a.tenantId,
            model: a.model,
            jobId: a.jobId,
            description: spec.description ?? '',
            task: spec.task,
            primaryMetric: spec.primaryMetric,
            champion: a.champion ? { version: a.champion.version, name: a.champion.name, createdAt: iso(a.champion.createdAt), metrics: JSON.parse(a.champion.metrics) as Record<string, number | null> } : null,
            lastRun: a.lastRun ? runDto(a.lastRun) : null,
            nextSlotAt: iso(a.nextSlotAt),
            live: championLiveDto(live.get(modelKey(a.tenantId, a.model))),
          };
        }),
        total,
        nextCursor: rows.length > limit ? Buffer.from(`${page.at(-1)!.tenantId}/${page.at(-1)!.model}`).toString('base64url') : null,
      };
    },
  );

  app.get(
    '/api/tenants/:tenantId/models',
    {
      schema: {
        operationId: 'listModels',
        tags: TAGS,
        summary: "A tenant's models with their champions",
        params: TenantParams,
        response: { 200: described(Type.Object({ models: Type.Array(ModelSchema) }), "The tenant's models, each with its champion"), ...errors(400, 404) },
      },
    },
    async (request) => ({ models: (await models.list(request.params.tenantId)).map(modelDto) }),
  );

  app.get(
    '/api/tenants/:tenantId/models/:model',
    { schema: { operationId: 'getModel', tags: TAGS, summary: 'One model: its declaration and champion', params: ModelParams, response: { 200: described(ModelSchema, 'The model: its declaration and champion'), ...errors(400, 404) } } },
    async (request) => {
      const { tenantId, model } = request.params;
      const m = await models.model(tenantId, model);
      return modelDto({ ...m, champion: await models.registry.champion(tenantId, model) });
    },
  );

  app.put(
    '/api/tenants/:tenantId/models/:model',
    {
      schema: {
        operationId: 'putModel',
        tags: TAGS,
        summary: 'Declare or replace a model: task, dataset (or source), features, trainer and params, primary metric, gate, mode, window',
        params: ModelParams,
        body: Type.Record(Type.String(), Type.Unknown(), { description: 'see docs/models.md; validated field by field' }),
        response: {
          200: described(ModelSchema, 'The model existed: its declaration as replaced (or unchanged)'),
          201: described(ModelSchema, 'The model, declared: it trains on ML_TRAINING_SCHEDULE in its tenant\'s zone'),
          ...errors(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { tenantId, model } = request.params;
      requireSuperAdminForHostAccess(request.principal, request.body);
      const { result, model: stored } = await models.define(tenantId, model, request.body);
      return reply.status(result === 'created' ? 201 : 200).send(modelDto({ ...stored, champion: await models.registry.champion(tenantId, model) }));
    },
  );

  app.post(
    '/api/tenants/:tenantId/models/:model/train',
    {
      schema: {
        operationId: 'trainModel',
        tags: TAGS,
        summary: 'Train now: queues a run of the model\'s train job (409 while one is in flight, unless queue: true)',
        params: ModelParams,
        body: TrainBody,
        response: {
          202: described(Run, 'Queued: the training run (follow it at /api/runs/{id})'),
          ...errors(400, 404, [409, 'A training of the model is in flight (`error.details` names its run); send queue: true to queue behind it']),
        },
      },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const { tenantId, model } = request.params;
      const { queue, ...params } = request.body;
      const run = await models.train(tenantId, model, params, queue ? 'queue' : 'now');
      return reply.status(202).send(runDto(run));
    },
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/versions',
    {
      schema: {
        operationId: 'listModelVersions',
        tags: TAGS,
        summary: 'Versions, newest first, with metrics, gate verdict, data window and artifact hash',
        params: ModelParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(VersionNumber) }, { additionalProperties: false }),
        response: {
          200: described(Type.Object({ versions: Type.Array(VersionSchema), nextCursor: Type.Union([Type.Integer(), Type.Null()]) }), 'A page of versions, newest first; nextCursor fetches the next one (null on the last page)'),
          ...errors(400, 404),
        },
      },
    },
    async (request) => {
      const { tenantId, model } = request.params;
      const page = await models.versions(tenantId, model, request.query);
      return { versions: page.items.map(versionDto), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/versions/:version',
    { schema: { operationId: 'getModelVersion', tags: TAGS, summary: 'One version', params: VersionParams, response: { 200: described(VersionSchema, 'The version: metrics, gate verdict, data window, artifact hash'), ...errors(400, 404) } } },
    async (request) => versionDto(await models.version(request.params.tenantId, request.params.model, request.params.version)),
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/versions/:version/onnx',
    {
      schema: {
        operationId: 'exportModelVersionOnnx',
        tags: TAGS,
        summary:
          "Download the version as an .onnx file (gbdt and linear: written with float64 input; onnx: the file as imported). It takes the model's feature matrix, not raw rows: …/onnx/input lists its columns",
        params: VersionParams,
        produces: ['application/octet-stream'],
        response: {
          200: {
            description: '<versionName>.onnx; headers x-nightshift-input-type (float64 or float32), x-nightshift-feature-count, and a link to the description',
            content: { 'application/octet-stream': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
          },
          ...errors(400, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { tenantId, model, version } = request.params;
      const exported = await models.exportOnnx(tenantId, model, version);
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${exported.version.name}.onnx"`)
        .header('x-nightshift-input-type', exported.input.type)
        .header('x-nightshift-feature-count', String(exported.features.length))
        .header('link', `</api/tenants/${tenantId}/models/${model}/versions/${version}/onnx/input>; rel="describedby"`)
        .send(Buffer.from(exported.bytes.buffer, exported.bytes.byteOffset, exported.bytes.byteLength));
    },
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/versions/:version/onnx/input',
    {
      schema: {
        operationId: 'describeModelVersionOnnx',
        tags: TAGS,
        summary: "What the version's .onnx file takes and gives: its input (the feature matrix), the features by column with their categories (code i = categories[i]; NaN = missing), its outputs",
        params: VersionParams,
        response: { 200: described(OnnxExportSchema, "The .onnx file's input, features by column and outputs"), ...errors(400, 404, 503) },
      },
    },
    async (request) => onnxExportDto(await models.exportOnnx(request.params.tenantId, request.params.model, request.params.version)),
  );

  app.get(
    '/api/tenants/:tenantId/models/:model/champion/history',
    {
      schema: {
        operationId: 'getChampionHistory',
        tags: TAGS,
        summary: 'Which version held the champion alias, when and why (promotion, rollback), newest first',
        params: ModelParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), before: Type.Optional(VersionNumber) }, { additionalProperties: false }),
        response: { 200: described(Type.Object({ history: Type.Array(AliasChangeSchema) }), 'Every change of the champion, newest first: version, previous version, action, reason, actor, time'), ...errors(400, 404) },
      },
    },
    async (request) => ({ history: (await models.history(request.params.tenantId, request.params.model, request.query)).map(aliasChangeDto) }),
  );

  app.post(
    '/api/tenants/:tenantId/models/:model/rollback',
    {
      schema: {
        operationId: 'rollbackModel',
        tags: TAGS,
        summary: 'Make an earlier version that passed its gate the champion again; predictions switch at once',
        params: ModelParams,
        body: RollbackBody,
        response: {
          200: described(AliasUpdateResponse, 'The champion is the target version (changed: false when it already was)'),
          ...errors(400, 404, [409, 'The target version did not pass its gate, or the model has no champion to roll back from']),
        },
      },
    },
    async (request) => {
      const { tenantId, model } = request.params;
      const update = await models.rollback(tenantId, model, request.body.targetVersion, { ...(request.body.reason ? { reason: request.body.reason } : {}) });
      return { changed: update.changed, change: aliasChangeDto(update.change) };
    },
  );

  app.post(
    '/api/tenants/:tenantId/models/:model/promote',
    {
      schema: {
        operationId: 'promoteModelVersion',
        tags: TAGS,
        summary: 'Promote a version that passed its gate',
        params: ModelParams,
        body: PromoteBody,
        response: {
          200: described(AliasUpdateResponse, 'The version is the champion (changed: false when it already was)'),
          ...errors(400, 404, [409, 'The version did not pass its gate, or expectedCurrent is no longer the champion']),
        },
      },
    },
    async (request) => {
      const { tenantId, model } = request.params;
      const { version, reason, expectedCurrent } = request.body;
      const update = await models.promote(tenantId, model, version, { ...(reason ? { reason } : {}), ...(expectedCurrent !== undefined ? { expectedCurrent } : {}) });
      return { changed: update.changed, change: aliasChangeDto(update.change) };
    },
  );

  app.post(
    '/api/tenants/:tenantId/models/:model/predict',
    {
      schema: {
        operationId: 'predict',
        tags: TAGS,
        summary: `Predict with the champion: one row ({values, entity?, ts?}) or a batch ({rows: [...]}, at most ${MAX_PREDICT_ROWS}); rows go through the model's feature spec, and each prediction says which columns were filled in (filled: missing, unseen)`,
        params: ModelParams,
        body: PredictBody,
        response: {
          200: described(PredictResponse, 'One prediction per row, in order, with the champion version that made them'),
          ...errors(400, [404, 'No such tenant or model, or the model has no champion yet'], [503, "The champion's artifact cannot be loaded now, or the service is shutting down"]),
        },
      },
    },
    async (request) => {
      const { tenantId, model } = request.params;
      const { rows, single } = parsePredictBody(request.body, MAX_PREDICT_ROWS);
      const result = await models.predict(tenantId, model, rows, { single });
      return { tenantId, model, version: result.version.version, versionName: result.version.name, predictions: result.predictions };
    },
  );

  modelImportRoute(app, models);
}

/** How long the import route waits for its run by default: the run goes on if the answer comes first. */
export const IMPORT_WAIT_MS = 5 * 60_000;

/** Base64 of a .onnx file of up to about 50 MB, plus room for the other fields. */
export const IMPORT_BODY_LIMIT_BYTES = 52_428_800 + 65_536;

// No length keyword on `onnx`: ajv would count the characters of a 50 MB string; the body limit bounds it.
const ImportBody = Type.Object(
  {
    onnx: Type.String({ description: 'the .onnx file, base64 (at most about 50 MB of base64)' }),
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'binary decision threshold (default 0.5)' })),
    outputName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'the output to read (default: discovered)' })),
    promote: Type.Optional(Type.Boolean({ description: 'make it the champion if the gate passes (default false)' })),
    wait: Type.Optional(Type.Boolean({ description: `wait for the import run to end, up to ${IMPORT_WAIT_MS / 60_000} minutes (default true); false answers 202 with the queued run at once` })),
  },
  { additionalProperties: false },
);
const ImportResponse = Type.Object({
  runId: Type.String(),
  version: VersionSchema,
  promoted: Type.Boolean(),
  outcome: Type.String({ enum: ['promoted', 'registered', 'rejected', 'champion_changed'] }),
  message: Type.String(),
});
const ImportQueuedResponse = Type.Object({ runId: Type.String(), run: Run, message: Type.String() });

/** ONNX import: its own function so the route's body limit is stated next to it. */
function modelImportRoute(app: Api, models: ModelService): void {
  app.post(
    '/api/tenants/:tenantId/models/:model/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT_BYTES,
      schema: {
        operationId: 'importOnnxModel',
        tags: TAGS,
        summary:
          "Import an ONNX model as a version of a declared model, as a run of its train job (history, lease, retries, cancel): its input must take the model's features; it is scored on the model's holdout with the champion, gated, registered (trainer onnx-import, trigger import), and promoted only if asked and the gate passed. 201 once the run ended; 202 with the run while it goes on",
        params: ModelParams,
        body: ImportBody,
        response: {
          201: described(ImportResponse, 'The import run ended: the version registered, whether it passed the gate and was promoted'),
          202: described(ImportQueuedResponse, 'The import run goes on (wait: false, or longer than the wait): follow it at /api/runs/{id}'),
          ...errors(400, 404, [409, 'A training of the model is in flight'], 413),
        },
      },
    },
    async (request, reply) => {
      const { tenantId, model } = request.params;
      const { onnx, threshold, outputName, promote, wait } = request.body;
      const result = await models.importOnnx(tenantId, model, decodeOnnxBase64(onnx, 'onnx'), {
        ...(threshold !== undefined ? { threshold } : {}),
        ...(outputName !== undefined ? { outputName } : {}),
        promote: promote ?? false,
        waitMs: wait === false ? 0 : IMPORT_WAIT_MS,
      });
      if (!result.version || !result.outcome) return reply.status(202).send({ runId: result.run.id, run: runDto(result.run), message: result.message });
      return reply.status(201).send({ runId: result.run.id, version: versionDto(result.version), promoted: result.promoted, outcome: result.outcome, message: result.message });
    },
  );
}
