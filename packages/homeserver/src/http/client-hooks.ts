import { appendCorsVary, applyCors } from './cors.ts';
import { type HttpError, httpError } from './errors.ts';
import { sendError } from './error-handler.ts';
import type { HttpReply } from './core/http-reply.ts';
import type { HttpRequest } from './core/http-request.ts';
import { clientIp, type RateLimiter } from './rate-limit.ts';
import { isPrivateRawPath, resolveTarget } from './tenant.ts';
import { splitUrl } from './url.ts';

/** The client app's onRequest and onSend steps. */

const PRIVATE_VARY_LEGACY = 'pubky-host, Authorization, Cookie';
const PRIVATE_VARY_PATH = 'Authorization, Cookie';

/**
 * onRequest (delta §1.3): CORS outermost (preflights never reach tenant parsing or rate limits), then
 * the request's tenant and target, then the cache policy it will need, then request-count limits.
 * Returns true when the request goes on to its handler, false when it has been answered.
 */
export function prepareClientRequest(request: HttpRequest, reply: HttpReply, limiter: RateLimiter): boolean {
  if (applyCors(request, reply)) return false;
  const { path, query } = splitUrl(request.raw.url ?? '/');
  request.rawPath = path;
  request.rawQuery = query;
  if (path === '/info') return true;
  try {
    request.target = resolveTarget(path, query, request.headers);
  } catch (e) {
    sendError(reply, e as HttpError);
    return false;
  }
  const target = request.target;
  if (target.addressing === 'path') {
    if (target.storagePath.path.startsWith('/priv/')) request.privacy = 'path-private';
  } else if (path === '/events-stream') {
    request.privacy = 'events-stream';
  } else if (isPrivateRawPath(path)) {
    request.privacy = 'legacy-private';
  }
  if (limiter.enabled) {
    const outcome = limiter.check({
      method: request.method,
      path: target.addressing === 'path' ? target.storagePath.path : path,
      ip: clientIp(request.headers, request.socket.remoteAddress),
      user: target.tenant?.z32 ?? null,
    });
    if (outcome.kind === 'limited') {
      sendError(reply, httpError('RATE_LIMITED').withHeaders({ 'retry-after': String(outcome.retryAfterSeconds) }));
      return false;
    }
    if (outcome.kind === 'no_key') {
      sendError(reply, httpError('RATE_LIMIT_NO_KEY'));
      return false;
    }
  }
  return true;
}

/** onSend: the cache policy of private responses (delta §5) and `Vary: Origin` for CORS. */
export function applyResponsePolicy(request: Pick<HttpRequest, 'privacy'>, reply: HttpReply): void {
  switch (request.privacy) {
    case 'legacy-private':
    case 'path-private':
      reply.header('cache-control', 'no-store');
      reply.header('vary', request.privacy === 'legacy-private' ? PRIVATE_VARY_LEGACY : PRIVATE_VARY_PATH);
      if (reply.statusCode >= 400) {
        reply.removeHeader('etag');
        reply.removeHeader('last-modified');
      }
      break;
    case 'events-stream':
      reply.header('cache-control', 'no-store');
      reply.header('vary', PRIVATE_VARY_LEGACY);
      break;
    default:
  }
  appendCorsVary(reply);
}
