import type { FastifyError, FastifyInstance } from 'fastify';
import { isNsError, type ErrorCode } from '../errors.ts';
import { ID_RULE, ID_RULE_TEXT } from '../ids.ts';

/** The HTTP status of each error code a request can meet (500 for the rest). */
export const STATUS: Partial<Record<ErrorCode, number>> = {
  NS_CONFIG_INVALID: 400,
  NS_SCHEDULE_INVALID: 400,
  NS_VALIDATION: 400,
  NS_NOT_FOUND: 404,
  NS_UNAUTHENTICATED: 401,
  NS_AUTH_MALFORMED: 401,
  NS_AUTH_EXPIRED: 401,
  NS_AUTH_NOT_YET_VALID: 401,
  NS_AUTH_ALGORITHM: 401,
  NS_AUTH_SIGNATURE: 401,
  NS_AUTH_ISSUER: 401,
  NS_AUTH_AUDIENCE: 401,
  NS_AUTH_CLAIMS: 401,
  NS_AUTH_KEY_INVALID: 401,
  NS_FORBIDDEN: 403,
  NS_RATE_LIMITED: 429,
  NS_CONFLICT: 409,
  NS_INVALID_TRANSITION: 409,
  NS_PAYLOAD_TOO_LARGE: 413,
  NS_UNSUPPORTED_MEDIA_TYPE: 415,
  NS_SHUTTING_DOWN: 503,
  NS_STORE: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; field: string | null; details?: Record<string, unknown> };
}

const body = (code: string, message: string, field: string | null = null, details?: Record<string, unknown>): ErrorBody => ({
  error: { code, message, field, ...(details ? { details } : {}) },
});

/** "/cron" → "cron", "/steps/0/name" → "steps[0].name" */
function fieldOf(instancePath: string, missing?: string, extra?: string): string | null {
  const parts = instancePath.split('/').filter(Boolean);
  if (missing) parts.push(missing);
  if (extra) parts.push(extra);
  if (parts.length === 0) return null;
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function validationMessage(error: FastifyError & { validation: AjvIssue[]; validationContext?: string }): ErrorBody {
  const issue = error.validation[0]!;
  const where = error.validationContext ?? 'body';
  const extra = issue.keyword === 'additionalProperties' ? String(issue.params.additionalProperty) : undefined;
  const missing = issue.keyword === 'required' ? String(issue.params.missingProperty) : undefined;
  const field = fieldOf(issue.instancePath, missing, extra);
  const named = field ? `${where}.${field}` : where;
  let message: string;
  if (extra) message = `${named}: unknown field; remove it (allowed fields are in the API docs at /docs)`;
  else if (missing) message = `${named}: required field is missing`;
  else if (issue.keyword === 'pattern' && issue.params.pattern === ID_RULE) message = `${named}: must be an id: ${ID_RULE_TEXT} (must match pattern ${ID_RULE})`;
  else if (issue.keyword === 'enum') message = `${named}: must be one of ${(issue.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  else message = `${named}: ${issue.message ?? 'is invalid'}`;
  return body('NS_VALIDATION', message, field ?? where);
}

/** Driver-level failures (SQLite, PostgreSQL, a closed pool): the store, not the request, is at fault. */
function isStoreFailure(error: Error & { code?: unknown }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  return (
    error.name === 'SqliteError' ||
    code.startsWith('SQLITE_') ||
    ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '08001', '08003'].includes(code) ||
    /driver has already been destroyed|Connection terminated|Cannot use a pool after calling end|database connection is not open/i.test(error.message)
  );
}

/** One mapping from every error to a stable code, a message that says what to fix, and no stack. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isNsError(error)) {
      const status = STATUS[error.code] ?? 500;
      return reply.status(status).send(body(error.code, error.message, error.field ?? null, error.details));
    }
    const v = error as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
    if (v.validation && v.validation.length > 0) return reply.status(400).send(validationMessage(v as never));
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send(body('NS_PAYLOAD_TOO_LARGE', `request body is larger than ${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes; send less per request`, 'body'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send(body('NS_UNSUPPORTED_MEDIA_TYPE', `content type "${request.headers['content-type'] ?? ''}" is not accepted; send application/json`, 'content-type'));
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (error.statusCode === 400 && error instanceof SyntaxError)) {
      return reply.status(400).send(body('NS_VALIDATION', `body is not valid JSON: ${error.message}`, 'body'));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(body('NS_VALIDATION', error.message, null));
    }
    if (isStoreFailure(error)) {
      request.log.error({ err: error }, 'store unavailable');
      return reply.status(503).send(body('NS_STORE', `the store is unavailable (${error.message}); retry shortly`, null));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('NS_INTERNAL', `unexpected error; see the server log for request ${request.id}`));
  });
}

/**
 * The NS_ 404 for the paths of `app`'s prefix: every path in the standalone server; inside a host
 * application only nightshift's own (plugin.ts), so the host keeps its own 404.
 */
export function installNotFoundHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('NS_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}; the API is listed at /docs`, 'url')),
  );
}
