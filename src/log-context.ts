/**
 * Fields that every log line written on behalf of one request carries (its request id), without
 * passing a logger through every call: the HTTP layer runs each handler inside `withLogFields`, and
 * services log their changes through `contextLogger(logger)`. Outside a request (the scheduler,
 * the CLI) the logger is used as it is.
 */
import type { Logger } from 'pino';
import { contextEntry, runWithEntries, type ContextEntries } from './context-store.ts';

type Fields = Readonly<Record<string, unknown>>;

const LOG_FIELDS = Symbol('log fields');

/** Runs `fn`, and everything it starts, with `fields` added to the lines of contextLogger(). */
export function withLogFields<T>(fields: Fields, fn: () => T): T {
  return runWithEntries(logFieldsEntry(fields), fn);
}

/** The fields as a context entry, to enter with others in one runWithEntries (context-store.ts). */
export function logFieldsEntry(fields: Fields): ContextEntries {
  return { [LOG_FIELDS]: fields };
}

/** The logger with the current request's fields bound, or the logger itself outside a request. */
export function contextLogger(logger: Logger): Logger {
  const fields = contextEntry(LOG_FIELDS) as Fields | undefined;
  return fields ? logger.child(fields) : logger;
}
