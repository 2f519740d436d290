import type { HttpReply } from './core/http-reply.ts';
import type { HttpRequest } from './core/http-request.ts';
import { ERROR_CODE_HEADER } from './errors.ts';

/**
 * CORS as the reference's `very_permissive()` (mirror Origin, allow credentials, mirror preflight
 * method and headers), plus — unlike the reference — `Access-Control-Expose-Headers` listing what a
 * browser app needs to read: validators, Retry-After, the range of a 206 and our error code.
 */
export const EXPOSED_HEADERS = [
  'etag',
  'last-modified',
  'retry-after',
  'content-length',
  // A browser's ranged read needs to see which bytes a 206 holds and of how many.
  'content-range',
  'accept-ranges',
  'content-type',
  'cache-control',
  'vary',
  ERROR_CODE_HEADER,
].join(', ');

/** Adds CORS headers; returns true when the request was a preflight and has been answered. */
export function applyCors(request: Pick<HttpRequest, 'headers' | 'method'>, reply: HttpReply): boolean {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
  }
  const preflightMethod = request.headers['access-control-request-method'];
  if (request.method !== 'OPTIONS' || preflightMethod === undefined) return false;
  reply.header('access-control-allow-methods', preflightMethod);
  const reqHeaders = request.headers['access-control-request-headers'];
  if (reqHeaders !== undefined) reply.header('access-control-allow-headers', reqHeaders);
  reply.header('access-control-max-age', '86400');
  reply.header('vary', 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers');
  reply.code(204).send();
  return true;
}

/** Appends `Origin` to whatever Vary a response already has (CORS responses differ per Origin). */
export function appendCorsVary(reply: HttpReply): void {
  const v = reply.getHeader('vary');
  reply.header('vary', v === undefined || v === '' ? 'Origin' : `${String(v)}, Origin`);
}
