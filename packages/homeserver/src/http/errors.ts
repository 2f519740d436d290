import { PubkyError } from '@pubky-ts/common';

/**
 * An error a client caused (or a server fault), with the HTTP status it maps to and a stable
 * `code`. The response body is `message` as `text/plain; charset=utf-8` (the reference's
 * `(status, text)` convention); the code travels in the `pubky-error-code` header.
 */
export class HttpError extends PubkyError {
  readonly status: number;
  /** Extra headers to send with the error response (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(code, message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}

export const badRequest = (code: string, message: string): HttpError => new HttpError(400, code, message);
export const unauthorized = (code: string, message: string): HttpError => new HttpError(401, code, message);
export const forbidden = (code: string, message: string): HttpError => new HttpError(403, code, message);
export const notFound = (code = 'NOT_FOUND', message = 'Not Found'): HttpError => new HttpError(404, code, message);
export const conflict = (code: string, message: string): HttpError => new HttpError(409, code, message);
export const payloadTooLarge = (message: string): HttpError => new HttpError(413, 'BODY_TOO_LARGE', message);
export const insufficientStorage = (): HttpError =>
  new HttpError(507, 'QUOTA_EXCEEDED', 'Disk space quota exceeded');

/** The header that carries an error's stable code (exposed to browsers through CORS). */
export const ERROR_CODE_HEADER = 'pubky-error-code';
