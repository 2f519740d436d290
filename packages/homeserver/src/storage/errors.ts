import { PubkyError } from '@pubky-ts/common';

/** HTTP statuses the storage layer can cause. */
/** 503: the database is unreachable (scale-out profile); `retryAfterSeconds` then says when to retry. */
export type StorageStatus = 400 | 401 | 403 | 404 | 409 | 412 | 503 | 507;

/**
 * An error a caller caused in the storage layer. `status` is the HTTP status to answer with,
 * `code` is stable, `message` is the reference server's text (spec homeserver §2, §3).
 */
export class StorageError extends PubkyError {
  readonly status: StorageStatus;
  readonly retryAfterSeconds?: number;
  constructor(status: StorageStatus, code: string, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(code, message, options);
    this.name = 'StorageError';
    this.status = status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** The catalogue: one factory per stable code. */
export const storageErrors = {
  notAFile: () => new StorageError(400, 'not_a_file', 'Target path must be a file'),
  invalidPath: (reason: string) => new StorageError(400, 'invalid_path', `Invalid storage path: ${reason}`),
  writeForbiddenRoot: () =>
    new StorageError(403, 'write_forbidden_root', "Writing to directories other than '/pub/' and '/priv/' is forbidden"),
  readForbiddenRoot: () =>
    new StorageError(403, 'read_forbidden_root', "Reading from directories other than '/pub/' and '/priv/' is forbidden"),
  userDisabled: () => new StorageError(403, 'user_disabled', 'User is disabled'),
  writePathNotAllowed: () => new StorageError(403, 'write_path_not_allowed', 'Write to this path is not allowed'),
  userNotFound: () => new StorageError(404, 'user_not_found', 'Not Found'),
  /** A write made with unconfirmed session and user records (WriteOptions.authStamp) that changed: retried by the caller. */
  staleAuth: () => new StorageError(503, 'stale_auth', 'Service Unavailable'),
  notFound: () => new StorageError(404, 'not_found', 'Not Found'),
  grantNotFound: () => new StorageError(404, 'grant_not_found', 'Not Found'),
  userExists: () => new StorageError(409, 'user_exists', 'User already exists'),
  pathCollision: () => new StorageError(409, 'path_collision', 'File/folder path collision'),
  signupTokenInvalid: () => new StorageError(401, 'signup_token_invalid', 'Invalid token'),
  signupTokenUsed: () => new StorageError(401, 'signup_token_used', 'Token already used'),
  quotaExceeded: () => new StorageError(507, 'quota_exceeded', 'Disk space quota exceeded'),
  /** A conditional write (WriteOptions.ifMatch / ifNoneMatch) whose condition did not hold: nothing written. */
  preconditionFailed: () =>
    new StorageError(412, 'precondition_failed', 'Precondition Failed: the file is not in the state If-Match / If-None-Match requires; read it again and retry'),
};
