/** A 401 of authentication (docs/errors.md): the stable code, and a message that quotes nothing of the token. */
import { NsError, type ErrorCode } from '../errors.ts';

export const refuse = (code: ErrorCode, message: string): NsError => new NsError(code, message, { field: 'authorization' });
