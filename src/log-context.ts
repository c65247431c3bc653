/**
 * Fields that every log line written on behalf of one request carries (its request id), without
 * passing a logger through every call: the HTTP layer runs each handler inside `withLogFields`, and
 * services log their changes through `contextLogger(logger)`. Outside a request (the scheduler,
 * the CLI) the logger is used as it is.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

type Fields = Readonly<Record<string, unknown>>;

const context = new AsyncLocalStorage<Fields>();

/** Runs `fn`, and everything it starts, with `fields` added to the lines of contextLogger(). */
export function withLogFields<T>(fields: Fields, fn: () => T): T {
  return context.run(fields, fn);
}

/** The logger with the current request's fields bound, or the logger itself outside a request. */
export function contextLogger(logger: Logger): Logger {
  const fields = context.getStore();
  return fields ? logger.child(fields) : logger;
}
