import { PubkyError } from '@pubky-ts/common';
import { HOMESERVER_ERRORS, type ErrorDetails, type HomeserverErrorCode } from './catalogue.ts';

/**
 * An error a client caused (or a server fault), answered with the catalogue's status for its
 * `code`. The response body is `message` as `text/plain; charset=utf-8` (the reference's
 * `(status, text)` convention); the code travels in the `pubky-error-code` header.
 */
export class HttpError extends PubkyError {
  declare readonly code: HomeserverErrorCode;
  readonly status: number;
  /** Headers to send with the error response (the catalogue's, plus e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: HomeserverErrorCode, message: string, options?: { headers?: Record<string, string>; cause?: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    const entry: { status: number; headers?: Readonly<Record<string, string>> } = HOMESERVER_ERRORS[code];
    this.status = entry.status;
    this.headers = { ...entry.headers, ...options?.headers };
  }

  /** The same error with more response headers (a Retry-After, an Allow, `connection: close`). */
  withHeaders(headers: Record<string, string>): HttpError {
    return new HttpError(this.code, this.message, { headers: { ...this.headers, ...headers }, cause: this.cause });
  }
}

/** The factory of every homeserver error: the code picks status and message, `details` fill the message. */
export function httpError<C extends HomeserverErrorCode>(code: C, ...details: ErrorDetails<C>): HttpError {
  const message = HOMESERVER_ERRORS[code].message as (...details: unknown[]) => string;
  return new HttpError(code, message(...details));
}

/** The header that carries an error's stable code (exposed to browsers through CORS). */
export const ERROR_CODE_HEADER = 'pubky-error-code';
