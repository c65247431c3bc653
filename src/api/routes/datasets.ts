/**
 * Tenant datasets: define a schema, read it back with sample counts, and ingest samples as a JSON
 * array, NDJSON or CSV. The ingest route lives in its own encapsulated scope with its own body
 * parsers (raw text, up to INGEST_BODY_LIMIT_BYTES) so the rest of the API keeps its 1 MiB JSON limit.
 */
import { Type, type Static } from 'typebox';
import { NsError } from '../../errors.ts';
import { checkDatasetDefinition, COLUMN_NAME_PATTERN, MAX_FEATURES } from '../../data/ingest/dataset-definition.ts';
import type { DatasetView } from '../../data/ingest/dataset-service.ts';
import { MAX_ROWS_PER_BATCH, type IngestFormat } from '../../data/ingest/ingest-service.ts';
import type { DataService } from '../../services/data-service.ts';
import { iso } from '../dto.ts';
import { described, errors, Id } from '../schemas.ts';
import type { Api } from '../types.ts';

export const INGEST_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** Content types the ingest route takes, and the format each means. */
const INGEST_TYPES: Record<string, IngestFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'text/csv': 'csv',
};

const ColumnName = Type.String({ pattern: COLUMN_NAME_PATTERN, description: 'a letter or _ first, then letters, digits, _ . -' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const TenantParams = Type.Object({ tenantId: Id }, { additionalProperties: false });
const DatasetParams = Type.Object({ tenantId: Id, datasetId: Id }, { additionalProperties: false });
type DatasetParamsT = Static<typeof DatasetParams>;

const Feature = Type.Object(
  { name: ColumnName, type: Type.String({ enum: ['numeric', 'categorical'] }), nullable: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);
const Label = Type.Object(
  { name: ColumnName, type: Type.String({ enum: ['binary', 'numeric'] }), nullable: Type.Optional(Type.Boolean({ default: false })) },
  { additionalProperties: false },
);
const DatasetBody = Type.Object(
  {
    entityKey: Type.String({ ...ColumnName, description: 'column naming the entity a row belongs to (a device id …)' }),
    timestamp: Type.String({ ...ColumnName, description: 'column holding the row time: ISO-8601 with a zone, or epoch milliseconds' }),
    features: Type.Array(Feature, { minItems: 1, maxItems: MAX_FEATURES }),
    label: Label,
  },
  { additionalProperties: false },
);

const Dataset = Type.Object({
  tenantId: Type.String(),
  id: Type.String(),
  entityKey: Type.String(),
  timestamp: Type.String(),
  features: Type.Array(Type.Object({ name: Type.String(), type: Type.String(), nullable: Type.Boolean() })),
  label: Type.Object({ name: Type.String(), type: Type.String(), nullable: Type.Boolean() }),
  samples: Type.Object({ count: Type.Integer(), firstAt: Nullable(Type.String({ format: 'date-time' })), lastAt: Nullable(Type.String({ format: 'date-time' })) }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  lastIngestAt: Nullable(Type.String({ format: 'date-time' })),
});

const IngestResponse = Type.Object({
  accepted: Type.Integer({ description: 'rows written: inserted + updated' }),
  inserted: Type.Integer({ description: 'rows whose (entity, timestamp) was not stored before' }),
  updated: Type.Integer({ description: 'rows that replaced the stored sample with the same (entity, timestamp)' }),
  rejected: Type.Integer({ description: 'always 0: a batch with a bad row is refused whole (400)' }),
});

/** The examples fit test/fixtures/ingest/sensors.schema.json (the API tests send each one). */
const SAMPLE_ROWS = [
  { device: 'dev-1', time: '2026-03-01T00:00:00Z', temp: 21.5, humidity: 0.4, site: 'north', failed: 0 },
  { device: 'dev-2', time: '2026-03-01T00:00:00Z', temp: 25, humidity: null, site: 'south', failed: 1 },
];
const SAMPLES_NOTE =
  'one row per sample with the dataset\'s columns: its entityKey, its timestamp (ISO-8601 with a zone, or epoch milliseconds), its features and its label; ' +
  'the example fits a dataset with entityKey "device", timestamp "time", features temp and humidity (numeric) and site (categorical), label failed (binary)';

/**
 * The ingest body as the OpenAPI document shows it (one media type per format, each with an
 * example to try from /docs). The route itself parses the raw text: this is documentation only.
 */
const SamplesBody = {
  content: {
    'application/json': { schema: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: `A JSON array of objects: ${SAMPLES_NOTE}`, examples: [SAMPLE_ROWS] }) },
    'application/x-ndjson': { schema: Type.String({ description: `One JSON object per line: ${SAMPLES_NOTE}`, examples: [SAMPLE_ROWS.map((r) => JSON.stringify(r)).join('\n')] }) },
    'text/csv': {
      schema: Type.String({
        description: `A header row naming the columns, then ${SAMPLES_NOTE}; an empty cell is null`,
        examples: [['device,time,temp,humidity,site,failed', ...SAMPLE_ROWS.map((r) => Object.values(r).map((v) => v ?? '').join(','))].join('\n')],
      }),
    },
  },
};

export function datasetDto(v: DatasetView) {
  const s = v.schema;
  return {
    tenantId: s.tenantId,
    id: s.id,
    entityKey: s.entityKey,
    timestamp: s.timestamp,
    features: s.features.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable })),
    label: { name: s.label.name, type: s.label.type, nullable: s.label.nullable },
    samples: { count: v.samples.count, firstAt: iso(v.samples.firstTs), lastAt: iso(v.samples.lastTs) },
    createdAt: iso(v.createdAt),
    updatedAt: iso(v.updatedAt),
    lastIngestAt: iso(v.lastIngestAt),
  };
}

const mediaType = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();

export function datasetRoutes(app: Api, data: DataService): void {
  app.get(
    '/api/tenants/:tenantId/datasets',
    {
      schema: {
        operationId: 'listDatasets',
        tags: ['datasets'],
        summary: "List a tenant's datasets with sample counts",
        params: TenantParams,
        response: { 200: described(Type.Object({ datasets: Type.Array(Dataset) }), "The tenant's datasets, each with its schema and sample statistics"), ...errors(400, 404) },
      },
    },
    async (request) => ({ datasets: (await data.list(request.params.tenantId)).map(datasetDto) }),
  );

  app.get(
    '/api/tenants/:tenantId/datasets/:datasetId',
    {
      schema: {
        operationId: 'getDataset',
        tags: ['datasets'],
        summary: 'One dataset: schema, sample count, first and last sample time',
        params: DatasetParams,
        response: { 200: described(Dataset, 'The dataset: its schema, sample count, first and last sample time'), ...errors(400, 404) },
      },
    },
    async (request) => datasetDto(await data.describe(request.params.tenantId, request.params.datasetId)),
  );

  app.put(
    '/api/tenants/:tenantId/datasets/:datasetId',
    {
      schema: {
        operationId: 'putDataset',
        tags: ['datasets'],
        summary: 'Create a dataset or change its schema (409 when the change would break stored samples)',
        params: DatasetParams,
        body: DatasetBody,
        response: {
          200: described(Dataset, 'The dataset existed: its schema as changed (or unchanged)'),
          201: described(Dataset, 'The dataset, created'),
          ...errors(400, 404, [409, 'The change would break stored samples (a column removed or retyped); `error.message` names the column']),
        },
      },
    },
    async (request, reply) => {
      const { tenantId, datasetId } = request.params;
      const schema = checkDatasetDefinition(tenantId, datasetId, request.body);
      const result = await data.define(schema);
      return reply.status(result === 'created' ? 201 : 200).send(datasetDto(await data.describe(tenantId, datasetId)));
    },
  );

  // The ingest route: its own scope, so its parsers and body limit apply to it alone.
  void app.register(async (scope: Api) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(Object.keys(INGEST_TYPES), { parseAs: 'string', bodyLimit: INGEST_BODY_LIMIT_BYTES }, (_request, text, done) => done(null, text));
    scope.addContentTypeParser('*', (request, _payload, done) => {
      done(
        new NsError('NS_UNSUPPORTED_MEDIA_TYPE', `content type "${request.headers['content-type'] ?? ''}" is not accepted; send application/json (an array of objects), application/x-ndjson or text/csv (with a header row)`, {
          field: 'content-type',
        }),
      );
    });

    scope.post(
      '/api/tenants/:tenantId/datasets/:datasetId/samples',
      {
        bodyLimit: INGEST_BODY_LIMIT_BYTES,
        config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: SamplesBody }, url }) },
        schema: {
          operationId: 'ingestSamples',
          tags: ['datasets'],
          summary: `Ingest samples: JSON array, NDJSON or CSV; at most ${MAX_ROWS_PER_BATCH} rows and ${INGEST_BODY_LIMIT_BYTES / 1_048_576} MiB per request. Any bad row rejects the whole batch (400 with each row, field and reason) and nothing is written; so does a timestamp more than NIGHTSHIFT_INGEST_MAX_SKEW (default 1 h) ahead of the service clock. A row with the (entity, timestamp) of a stored sample replaces it: the answer counts inserted and updated rows`,
          params: DatasetParams,
          response: {
            200: described(IngestResponse, 'Every row was valid and is stored'),
            ...errors([400, 'A row is invalid: nothing was written; `error.details.errors` lists each bad row with its field and reason'], 404, 409, 413, 415),
          },
        },
      },
      async (request) => {
        const { tenantId, datasetId } = request.params as DatasetParamsT;
        const format = INGEST_TYPES[mediaType(request.headers['content-type'])];
        if (!format) throw new NsError('NS_UNSUPPORTED_MEDIA_TYPE', 'send application/json, application/x-ndjson or text/csv', { field: 'content-type' });
        const body = typeof request.body === 'string' ? request.body : '';
        return data.ingest({ tenantId, datasetId, format, body });
      },
    );
  });
}
