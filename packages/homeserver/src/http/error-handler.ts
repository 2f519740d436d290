import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ERROR_CODE_HEADER, HttpError } from './errors.ts';
import { StorageError } from '../storage/errors.ts';
import type { ReplyLike } from './exchange.ts';

/** Maps fastify's own errors (framework rejections) to plain-text answers with stable codes. */
function fromFastify(err: FastifyError): HttpError | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'BODY_TOO_LARGE', 'Request body is too large');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new HttpError(400, 'INVALID_URL', 'Invalid URL: malformed percent-encoding');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, 'INVALID_BODY', err.message);
    default:
      if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
        return new HttpError(err.statusCode, err.code ?? 'BAD_REQUEST', err.message);
      }
      return null;
  }
}

/** Turns any thrown value into the HttpError to answer with (500 for the unexpected). */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof StorageError) {
    // A database outage (scale-out profile) carries a retry hint: 503 + Retry-After, never a wrong answer.
    const retry = err.retryAfterSeconds;
    return new HttpError(err.status, err.code.toUpperCase(), err.message, retry ? { 'retry-after': String(retry) } : {});
  }
  if (err && typeof err === 'object' && 'code' in err && typeof (err as FastifyError).code === 'string' && String((err as FastifyError).code).startsWith('FST_')) {
    return fromFastify(err as FastifyError);
  }
  return null;
}

export function sendError<R extends ReplyLike>(reply: R, err: HttpError): R {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply
    .code(err.status)
    .header(ERROR_CODE_HEADER, err.code)
    .type('text/plain; charset=utf-8')
    .send(err.message) as R;
}

/** The answer to a failed request (the client and admin apps' error handler; also the raw fast path's). */
export function answerError(err: unknown, request: { method: string; url?: string; raw?: { url?: string } }, reply: ReplyLike, log: FastifyBaseLogger): void {
  const http = toHttpError(err);
  if (http) {
    sendError(reply, http);
    return;
  }
  log.error({ err, method: request.method, url: request.url ?? request.raw?.url }, 'unhandled error');
  sendError(reply, new HttpError(500, 'INTERNAL', 'Internal server error'));
}

/** Error and not-found handlers: every failure is `text/plain` with its message, never a crash. */
export function installErrorHandling(app: FastifyInstance, log: FastifyBaseLogger): void {
  app.setErrorHandler((err, request, reply) => {
    answerError(err, request, reply, log);
    return reply;
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, new HttpError(404, 'NOT_FOUND', 'Not Found')));
}
