import { HttpError } from '../errors/http-error.ts';
import { HOMESERVER_ERRORS } from '../errors/catalogue.ts';

/** The catalogue codes the storage layer raises (its rules hold for every caller: HTTP, WebDAV, mirrors). */
export type StorageErrorCode =
  | 'NOT_A_FILE'
  | 'WRITE_FORBIDDEN_ROOT'
  | 'READ_FORBIDDEN_ROOT'
  | 'USER_DISABLED'
  | 'WRITE_PATH_NOT_ALLOWED'
  | 'USER_NOT_FOUND'
  | 'NOT_FOUND'
  | 'GRANT_NOT_FOUND'
  | 'BLOB_MISSING'
  | 'USER_EXISTS'
  | 'PATH_COLLISION'
  | 'SIGNUP_TOKEN_INVALID'
  | 'SIGNUP_TOKEN_USED'
  | 'STALE_AUTH'
  | 'DATABASE_UNAVAILABLE'
  | 'QUOTA_EXCEEDED'
  | 'PRECONDITION_FAILED';

/**
 * An error a caller caused in the storage layer: an `HttpError` with a storage code, so the HTTP
 * layer answers it as it is. `retryAfterSeconds` (503s) becomes the `Retry-After` header.
 */
export class StorageError extends HttpError {
  declare readonly code: StorageErrorCode;
  readonly retryAfterSeconds?: number;
  constructor(code: StorageErrorCode, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    const retry = options?.retryAfterSeconds;
    super(code, HOMESERVER_ERRORS[code].message(), { cause: options?.cause, headers: retry ? { 'retry-after': String(retry) } : {} });
    this.name = 'StorageError';
    if (retry !== undefined) this.retryAfterSeconds = retry;
  }
}

/** One factory per storage code (the messages are fixed: they are the reference's texts). */
export const storageErrors = {
  notAFile: () => new StorageError('NOT_A_FILE'),
  writeForbiddenRoot: () => new StorageError('WRITE_FORBIDDEN_ROOT'),
  readForbiddenRoot: () => new StorageError('READ_FORBIDDEN_ROOT'),
  userDisabled: () => new StorageError('USER_DISABLED'),
  writePathNotAllowed: () => new StorageError('WRITE_PATH_NOT_ALLOWED'),
  userNotFound: () => new StorageError('USER_NOT_FOUND'),
  /** A write made with unconfirmed session and user records (WriteOptions.authority.stamp) that changed: retried by the caller. */
  staleAuth: () => new StorageError('STALE_AUTH'),
  notFound: () => new StorageError('NOT_FOUND'),
  grantNotFound: () => new StorageError('GRANT_NOT_FOUND'),
  /** The row is there, its blob is not (an outside deletion or a crash between the two stores). */
  blobMissing: () => new StorageError('BLOB_MISSING'),
  userExists: () => new StorageError('USER_EXISTS'),
  pathCollision: () => new StorageError('PATH_COLLISION'),
  signupTokenInvalid: () => new StorageError('SIGNUP_TOKEN_INVALID'),
  signupTokenUsed: () => new StorageError('SIGNUP_TOKEN_USED'),
  quotaExceeded: () => new StorageError('QUOTA_EXCEEDED'),
  /** A conditional write (WriteOptions.ifMatch / ifNoneMatch) whose condition did not hold: nothing written. */
  preconditionFailed: () => new StorageError('PRECONDITION_FAILED'),
};
