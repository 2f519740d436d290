import type { HttpDeps } from './context.ts';
import { appendCorsVary, applyCors } from './cors.ts';
import { HttpError, httpError } from './errors.ts';
import { sendError } from './error-handler.ts';
import { applyResponsePolicy, prepareClientRequest } from './client-hooks.ts';
import { HttpApp } from './core/http-app.ts';
import type { HttpReply } from './core/http-reply.ts';
import type { HttpRequest } from './core/http-request.ts';
import { RateLimiter } from './rate-limit.ts';
import { legacyStoragePath, resolveTarget } from './tenant.ts';
import { splitUrl } from './url.ts';
import { registerRootRoutes } from './routes/root-routes.ts';
import { registerSessionRoutes } from './routes/session-routes.ts';
import { registerGrantRoutes } from './routes/grant-routes.ts';
import { registerStorageRoutes } from './routes/storage-routes.ts';
import { registerUserWebDav } from '../webdav/user-mount.ts';
import { registerEventRoutes } from './routes/event-routes.ts';
import { registerMirrorRoutes } from '../mirror/mirror-routes.ts';

/**
 * A URL the router cannot read (e.g. `%FF`) never reaches the onRequest step: answered here, with
 * CORS, and with the tenant error instead when the tenant is what is wrong.
 */
function answerBadUrl(message: string, request: HttpRequest, reply: HttpReply): void {
  if (applyCors(request, reply)) return;
  const { path, query } = splitUrl(request.url);
  let answer: HttpError = httpError('INVALID_URL', message);
  try {
    const target = resolveTarget(path, query, request.headers);
    if (target.addressing === 'legacy') legacyStoragePath(path);
  } catch (e) {
    if (e instanceof HttpError) answer = e;
  }
  appendCorsVary(reply);
  sendError(reply, answer);
}

/**
 * The client API (both addressings, auth, storage, events). Steps in the order of delta §1.3: CORS
 * outermost (preflights never reach tenant parsing or rate limits), then request-tenant resolution,
 * then request-count limits; sessions are resolved lazily by the routes that need them.
 */
export function buildClientApp(deps: HttpDeps): { app: HttpApp; limiter: RateLimiter } {
  const limiter = new RateLimiter(deps.config.drive.rateLimits);
  const app = new HttpApp({
    log: deps.log,
    headersTimeoutMs: deps.config.drive.headersTimeoutMs,
    onRequest: (request, reply) => prepareClientRequest(request, reply, limiter),
    onSend: applyResponsePolicy,
    onBadUrl: answerBadUrl,
  });
  registerRootRoutes(app);
  registerSessionRoutes(app, deps);
  registerGrantRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerMirrorRoutes(app, deps);
  registerStorageRoutes(app, deps);
  registerUserWebDav(app, deps);
  return { app, limiter };
}
