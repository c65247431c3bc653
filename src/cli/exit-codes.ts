import { isNsError } from '../errors.ts';

/** Meaningful exit codes: scripts can tell bad config from a missing run from a conflict. */
export const EXIT = { ok: 0, failure: 1, invalidConfig: 2, notFound: 3, conflict: 4, invalidInput: 5 } as const;

export function exitCodeFor(error: unknown): number {
  if (!isNsError(error)) return EXIT.failure;
  switch (error.code) {
    case 'NS_CONFIG_INVALID':
    case 'NS_SCHEDULE_INVALID':
      return EXIT.invalidConfig;
    case 'NS_NOT_FOUND':
      return EXIT.notFound;
    case 'NS_CONFLICT':
      return EXIT.conflict;
    case 'NS_VALIDATION':
      return EXIT.invalidInput;
    default:
      return EXIT.failure;
  }
}

export function describeError(error: unknown): string {
  if (isNsError(error)) return `error ${error.code}: ${error.message}`;
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}
