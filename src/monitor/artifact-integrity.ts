/**
 * Which failed champion loads are integrity failures: the stored artifact failed authentication
 * (a modified byte, an artifact moved from another tenant or version, a master key this process
 * does not have) or decrypted to bytes whose hash is not the registered one. These raise the
 * ARTIFACT_INTEGRITY alert; other load failures (no champion, a model format the runtime refuses, a
 * missing file) do not: they are not evidence that stored bytes were tampered with or mis-keyed.
 *
 * Pure: reads the NS_STORE error the artifact storage raises (registry/artifact-storage.ts,
 * decodeVerified), whose details name the reason.
 */
import { isNsError } from '../errors.ts';

export type IntegrityReason = 'tampered' | 'moved' | 'wrong-key' | 'undecodable' | 'hash-mismatch';

export interface IntegrityFailure {
  reason: IntegrityReason;
  /** The storage's own message: which artifact, where, and why it was refused. */
  message: string;
}

const CIPHER_REASONS: ReadonlySet<string> = new Set(['tampered', 'moved', 'wrong-key', 'undecodable']);

/** The integrity failure an error reports, or null for any other error. */
export function integrityFailure(error: unknown): IntegrityFailure | null {
  if (!isNsError(error) || error.code !== 'NS_STORE') return null;
  const details = (error.details ?? {}) as { reason?: unknown; expected?: unknown; actual?: unknown };
  if (typeof details.reason === 'string' && CIPHER_REASONS.has(details.reason)) return { reason: details.reason as IntegrityReason, message: error.message };
  if (typeof details.expected === 'string' && typeof details.actual === 'string') return { reason: 'hash-mismatch', message: error.message };
  return null;
}

/** What each reason means for the alert's message. */
export const INTEGRITY_TEXT: Readonly<Record<IntegrityReason, string>> = {
  tampered: 'its bytes fail authentication (modified, truncated, or reordered)',
  moved: 'it fails authentication for this tenant or version (copied from another)',
  'wrong-key': 'it cannot be decrypted with the master key this process has',
  undecodable: 'its bytes cannot be decoded',
  'hash-mismatch': 'it decrypts to bytes whose sha256 is not the registered one',
};
