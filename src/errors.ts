/**
 * One small error hierarchy with stable codes. Every code is documented in docs/errors.md
 * (a test checks this). `retryable` says whether the run engine may try again.
 */
export const ERROR_CODES = {
  NS_CONFIG_INVALID: 'A configuration value (env variable or config file) is invalid.',
  NS_SCHEDULE_INVALID: 'A schedule definition (cron, interval, time zone, policy) is invalid.',
  NS_VALIDATION: 'A request or input field is invalid.',
  NS_NOT_FOUND: 'The named resource does not exist (or belongs to another tenant).',
  NS_CONFLICT: 'The request conflicts with the current state (for example a run already in flight).',
  NS_LEASE_LOST: 'A worker tried to change a run whose lease it no longer holds.',
  NS_INVALID_TRANSITION: 'A run was asked to move to a state it cannot reach from its current one.',
  NS_JOB_FAILED: 'A job ended with a permanent failure.',
  NS_JOB_TRANSIENT: 'A job ended with a transient failure and may be retried.',
  NS_JOB_TIMEOUT: 'A job ran past its timeout and was killed.',
  NS_JOB_CANCELLED: 'A job was cancelled.',
  NS_STORE: 'The store could not complete an operation.',
  NS_SHUTTING_DOWN: 'The service is shutting down and does not accept this now.',
  NS_PAYLOAD_TOO_LARGE: 'A request body is larger than the limit.',
  NS_UNSUPPORTED_MEDIA_TYPE: 'A request body has a content type the endpoint does not accept.',
  NS_INTERNAL: 'An unexpected error; the log has the details.',
  NS_UNAUTHENTICATED: 'The request carries no credentials (Authorization: Bearer <token or API key>).',
  NS_AUTH_MALFORMED: 'The bearer credential is neither a well-formed JWT nor a well-formed API key.',
  NS_AUTH_EXPIRED: 'The JWT has expired (exp is past).',
  NS_AUTH_NOT_YET_VALID: 'The JWT is not valid yet (nbf or iat is in the future).',
  NS_AUTH_ALGORITHM: 'The JWT is signed with an algorithm that is not accepted (alg none included).',
  NS_AUTH_SIGNATURE: 'The JWT signature does not verify with the configured secret or keys.',
  NS_AUTH_ISSUER: 'The JWT issuer (iss) is not the configured one.',
  NS_AUTH_AUDIENCE: 'The JWT audience (aud) is not the configured one.',
  NS_AUTH_CLAIMS: 'The JWT lacks a valid sub, role or tenant claim.',
  NS_AUTH_KEY_INVALID: 'The API key is unknown or revoked.',
  NS_FORBIDDEN: "The caller's role may not call this route.",
  NS_RATE_LIMITED: "The tenant has used this route class's request budget for the current window.",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface NsErrorOptions {
  field?: string;
  retryable?: boolean;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class NsError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: NsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NsError';
    this.code = code;
    this.field = options.field;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, field: this.field, details: this.details };
  }
}

export const configError = (field: string, message: string, details?: Record<string, unknown>) =>
  new NsError('NS_CONFIG_INVALID', `${field}: ${message}`, { field, details });

export const scheduleError = (field: string, message: string) =>
  new NsError('NS_SCHEDULE_INVALID', `${field}: ${message}`, { field });

export const notFound = (what: string, id: string) =>
  new NsError('NS_NOT_FOUND', `${what} "${id}" does not exist`, { field: what, details: { id } });

/**
 * Schedule ids are global and a schedule never changes hands: a definition (config or API) that
 * reuses another tenant's id, even a deleted one whose history stays, is refused, not applied.
 */
export const scheduleOwnedByAnotherTenant = (id: string, owner: string, requested: string, deleted: boolean) =>
  new NsError(
    'NS_CONFLICT',
    `schedule "${id}" belongs to tenant "${owner}"${deleted ? ' (deleted; its history stays)' : ''} and cannot be redefined for tenant "${requested}"; use a different schedule id`,
    { field: 'id', details: { id, tenantId: owner, requestedTenantId: requested, deleted } },
  );

export const leaseLost = (runId: string, owner: string) =>
  new NsError('NS_LEASE_LOST', `run ${runId}: lease is no longer held by ${owner}`, {
    details: { runId, owner },
  });

export const isNsError = (e: unknown): e is NsError => e instanceof NsError;
