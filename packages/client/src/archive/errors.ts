// Errors of account archives: a `ClientError` (so `instanceof ClientError` and `err.code` work) whose
// code names what is wrong with the archive, and a message saying where.
import { ClientError } from '../errors.ts';
import type { ArchiveErrorCode } from './error-codes.ts';

export type { ArchiveErrorCode };

export class ArchiveError extends ClientError {
  declare readonly code: ArchiveErrorCode;
  constructor(code: ArchiveErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ArchiveError';
  }
}

export function isArchiveError(e: unknown): e is ArchiveError {
  return e instanceof ArchiveError;
}
