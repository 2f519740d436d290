import type { Logger } from 'pino';
import { ERROR_CODE_HEADER, HttpError } from './errors.ts';
import { StorageError } from '../storage/errors.ts';
import type { HttpReply } from './core/http-reply.ts';

/** Turns any thrown value into the HttpError to answer with (500 for the unexpected). */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof StorageError) {
    // A database outage (scale-out profile) carries a retry hint: 503 + Retry-After, never a wrong answer.
    const retry = err.retryAfterSeconds;
    return new HttpError(err.status, err.code.toUpperCase(), err.message, retry ? { 'retry-after': String(retry) } : {});
  }
  return null;
}

export function sendError<R extends HttpReply>(reply: R, err: HttpError): R {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply
    .code(err.status)
    .header(ERROR_CODE_HEADER, err.code)
    .type('text/plain; charset=utf-8')
    .send(err.message) as R;
}

/** The answer to a failed request (every app's error handler). */
export function answerError(err: unknown, request: { method: string; url?: string; raw?: { url?: string } }, reply: HttpReply, log: Logger): void {
  const http = toHttpError(err);
  if (http) {
    sendError(reply, http);
    return;
  }
  log.error({ err, method: request.method, url: request.url ?? request.raw?.url }, 'unhandled error');
  sendError(reply, new HttpError(500, 'INTERNAL', 'Internal server error'));
}
