import { StorageError } from '../../storage/errors.ts';

/** SQLSTATE classes / codes and socket errors that mean "the database cannot be reached right now". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '53300', // too_many_connections
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Client was closed|not queryable|terminating connection|the database system is (starting up|shutting down)/i;

/** True for errors caused by a lost or refused connection (as opposed to errors of the statement). */
export function isConnectionError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  if (err instanceof StorageError) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
}

/** Transient conflicts worth one more try of the whole transaction. */
export function isRetryableConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001'; // deadlock_detected, serialization_failure
}

/**
 * The database is down or unreachable: HTTP 503 with code `DATABASE_UNAVAILABLE`. `retryAfterSeconds`
 * is the hint the HTTP layer sends as `Retry-After`.
 */
export class DatabaseUnavailableError extends StorageError {
  constructor(cause?: unknown, retryAfterSeconds = 1) {
    super('DATABASE_UNAVAILABLE', { cause, retryAfterSeconds });
    this.name = 'DatabaseUnavailableError';
  }
}

/** Maps connection failures to `DatabaseUnavailableError`; everything else is returned unchanged. */
export function mapDbError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError) return err;
  return isConnectionError(err) ? new DatabaseUnavailableError(err) : err;
}
