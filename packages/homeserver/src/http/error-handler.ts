import type { Logger } from 'pino';
import { ERROR_CODE_HEADER, HttpError, httpError } from './errors.ts';
import type { HttpReply } from './core/http-reply.ts';
import { isClientAbort } from './client-abort.ts';

/** The HttpError to answer with (StorageErrors are HttpErrors of the same catalogue), or null: a 500. */
export function toHttpError(err: unknown): HttpError | null {
  return err instanceof HttpError ? err : null;
}

export function sendError<R extends HttpReply>(reply: R, err: HttpError): R {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.code(err.status).header(ERROR_CODE_HEADER, err.code).type('text/plain; charset=utf-8').send(err.message) as R;
}

/** The answer to a failed request (every app's error handler). */
export function answerError(
  err: unknown,
  request: { method: string; url?: string; raw?: { url?: string } },
  reply: HttpReply,
  log: Logger,
): void {
  const http = toHttpError(err);
  if (http) {
    sendError(reply, http);
    return;
  }
  const url = request.url ?? request.raw?.url;
  if (isClientAbort(err, (request as { raw?: Parameters<typeof isClientAbort>[1] }).raw)) {
    log.info({ method: request.method, url }, 'request aborted by the client before its body was complete');
    sendError(reply, httpError('REQUEST_ABORTED')); // nobody reads it; it ends the request as every other answer does
    return;
  }
  log.error({ err, method: request.method, url }, 'unhandled error');
  sendError(reply, httpError('INTERNAL'));
}
