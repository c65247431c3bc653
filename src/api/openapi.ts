/**
 * The OpenAPI document of nightshift's routes (@fastify/swagger, collected from the route schemas),
 * served at /openapi.json with its UI at /docs, under whatever prefix the plugin is mounted at.
 * Registered inside the plugin, so a host application that mounts nightshift gets them too.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../errors.ts';

export const API_TAGS = [
  { name: 'ops', description: 'Liveness, readiness and Prometheus metrics, for load balancers, orchestrators and scrapers' },
  { name: 'tenants', description: 'Tenants: each has its own time zone, datasets, models, schedules and runs' },
  { name: 'jobs', description: 'Jobs declared in the config file (or by declaring a model), with their schedules, next and last runs; trigger a run now' },
  { name: 'schedules', description: 'Cron or interval schedules of a job for a tenant: create or update by id, enable, disable, delete; each slot fires exactly once' },
  { name: 'runs', description: 'Run history: every slot, trigger and retry with its attempts, steps, metrics and log tail; cancel a run' },
  { name: 'datasets', description: 'Tenant datasets: the schema of the samples, and sample ingest as JSON, NDJSON or CSV' },
  { name: 'models', description: 'Declared models per tenant: train, versions with metrics and gate verdicts, promotion, rollback, predictions, ONNX export and import' },
  { name: 'notifications', description: "A tenant's notification channels (webhook, MQTT, log; secrets never returned) and the outbox's notifications with their delivery history" },
  { name: 'alerts', description: 'Alerts per model and tenant (LOW_ACCURACY, TRAINING_FAILURE, REPEATED_FAILURES, STUCK_JOB, MODEL_DEGRADATION, DATA_DRIFT, STALE_MODEL, NOTIFICATION_FAILING, ARTIFACT_INTEGRITY): open, acknowledged, resolved by themselves when their condition clears' },
  { name: 'keys', description: 'API keys for machines: one tenant and one role each, shown once, revocable' },
  { name: 'audit', description: 'The append-only audit log: who changed what and when, through the API, the CLI, trainings, alerts and key rotations' },
  { name: 'seed-compatible', description: 'Endpoints with the shapes of the in-house systems nightshift replaces, each a thin adapter over the routes above' },
] as const;

export type ApiTag = (typeof API_TAGS)[number]['name'];

const DESCRIPTION = [
  'Continuous training: schedules, runs and their history, datasets, models, their versions and predictions.',
  `Every error answers {"error": {"code", "message", "field", "details"?}} with a stable code: ${Object.keys(ERROR_CODES).join(', ')} (docs/errors.md).`,
  'Every operation but the probes (/health/live, /health/ready) and this document takes Authorization: Bearer <JWT or API key> (README, "Authentication"); which role each needs is in src/api/access.ts. Missing or invalid credentials answer 401, a role too low 403, another tenant\'s resources 404 as missing ones, a spent rate budget 429 with Retry-After.',
].join('\n\n');

export interface OpenApiOptions {
  /** The decorator the document is built under: `swagger` unless the host app already has one. */
  decorator: string;
  /** Serve the UI at /docs (false when the host app registered @fastify/swagger-ui itself). */
  ui: boolean;
}

/**
 * Registers the document builder on `fastify` (so it sees the routes added after it, and only
 * those), GET /openapi.json and the UI at /docs. Await it before adding routes.
 */
export async function registerOpenApi(fastify: FastifyInstance, options: OpenApiOptions): Promise<void> {
  const { decorator } = options;
  await fastify.register(swagger, {
    decorator,
    openapi: {
      info: { title: 'nightshift', version: '0.1.0', description: DESCRIPTION, license: { name: 'MIT', url: 'https://opensource.org/license/mit' } },
      servers: [{ url: '/', description: 'this server' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a JWT (HS256, RS256, ES256) or an API key (nsk_…)' } } },
      security: [{ bearer: [] }],
      tags: API_TAGS.map((t) => ({ ...t })),
    },
  });
  const document = () => (fastify as unknown as Record<string, () => unknown>)[decorator]!();
  if (options.ui) {
    await fastify.register(swaggerUi, {
      routePrefix: '/docs',
      // The UI reads fastify.swagger(): under another decorator, hand it nightshift's document instead.
      ...(decorator === 'swagger' ? {} : { transformSpecification: () => document() as Record<string, unknown>, transformSpecificationClone: false }),
    });
  }
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => document());
}
