// The client app as fastify served it before the HTTP core (src/http/core/), kept only so that
// test/http-core-vs-fastify.test.ts can compare the two answer for answer. It registers the very
// same route modules on fastify (their app, request and reply types are fastify's subset).
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { HttpDeps } from '../../src/http/context.ts';
import { appendCorsVary, applyCors } from '../../src/http/cors.ts';
import { HttpError, httpError } from '../../src/http/errors.ts';
import { answerError, sendError } from '../../src/http/error-handler.ts';
import { applyResponsePolicy, prepareClientRequest } from '../../src/http/client-hooks.ts';
import { clientErrorHandler } from '../../src/http/core/client-error.ts';
import type { HttpApp } from '../../src/http/core/http-app.ts';
import { RateLimiter } from '../../src/http/rate-limit.ts';
import { legacyStoragePath, resolveTarget } from '../../src/http/tenant.ts';
import { splitUrl } from '../../src/http/url.ts';
import { registerRootRoutes } from '../../src/http/routes/root-routes.ts';
import { registerSessionRoutes } from '../../src/http/routes/session-routes.ts';
import { registerGrantRoutes } from '../../src/http/routes/grant-routes.ts';
import { registerStorageRoutes } from '../../src/http/routes/storage-routes.ts';
import { registerEventRoutes } from '../../src/http/routes/event-routes.ts';
import { registerMirrorRoutes } from '../../src/mirror/mirror-routes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    target: unknown;
    rawPath: string;
    rawQuery: string;
    privacy: string;
    sessionPromise: unknown;
  }
}

/** fastify's own errors, as the old error handler mapped them. */
function fromFastify(err: { code?: string; message: string; statusCode?: number }): HttpError | null {
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return httpError('INVALID_URL', 'malformed percent-encoding');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError('INVALID_BODY', err.message);
    default:
      return typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500
        ? httpError('INVALID_BODY', err.message)
        : null;
  }
}

export function buildFastifyClientApp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger: FastifyBaseLogger) => logger,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    clientErrorHandler,
    forceCloseConnections: 'idle' as const,
    bodyLimit: deps.config.drive.maxBufferedBodyBytes,
    routerOptions: { maxParamLength: 4096, ignoreDuplicateSlashes: false, ignoreTrailingSlash: false },
    requestTimeout: 0,
    connectionTimeout: 0,
    keepAliveTimeout: 5000,
    http: { headersTimeout: deps.config.drive.headersTimeoutMs },
    frameworkErrors: (error, request, reply) => {
      if (applyCors(request as never, reply as never)) return;
      const { path, query } = splitUrl(request.raw.url ?? '/');
      let answer: HttpError = httpError('INVALID_URL', error.message);
      try {
        const target = resolveTarget(path, query, request.headers);
        if (target.addressing === 'legacy') legacyStoragePath(path);
      } catch (e) {
        if (e instanceof HttpError) answer = e;
      }
      appendCorsVary(reply as never);
      sendError(reply as never, answer);
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  const limiter = new RateLimiter(deps.config.drive.rateLimits);
  app.decorateRequest('target', null as never);
  app.decorateRequest('rawPath', '');
  app.decorateRequest('rawQuery', '');
  app.decorateRequest('privacy', 'none');
  app.decorateRequest('sessionPromise', undefined);
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done) => {
    if (prepareClientRequest(request as never, reply as never, limiter)) done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    applyResponsePolicy(request as never, reply as never);
    done(null, payload);
  });
  app.setErrorHandler((err, request, reply) => {
    const known = fromFastify(err as never);
    if (known) sendError(reply as never, known);
    else answerError(err, request as never, reply as never, deps.log);
    return reply;
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply as never, httpError('NOT_FOUND')));
  // The route modules' handlers finish when their answer is under way; fastify wants the reply
  // returned for that (else a stream still being piped gets a second, empty answer).
  const wrap = (handler: (q: never, r: never) => unknown) => async (q: FastifyRequest, r: FastifyReply) => {
    await handler(q as never, r as never);
    return r;
  };
  const route = (o: { method: string | string[]; url: string; handler: (q: never, r: never) => unknown }) => {
    app.route({ method: o.method, url: o.url, handler: wrap(o.handler) });
    return asCore;
  };
  const asCore = {
    route,
    get: (url: string, handler: never) => route({ method: 'GET', url, handler }),
    head: (url: string, handler: never) => route({ method: 'HEAD', url, handler }),
    post: (url: string, handler: never) => route({ method: 'POST', url, handler }),
    put: (url: string, handler: never) => route({ method: 'PUT', url, handler }),
    patch: (url: string, handler: never) => route({ method: 'PATCH', url, handler }),
    delete: (url: string, handler: never) => route({ method: 'DELETE', url, handler }),
  } as unknown as HttpApp;
  registerRootRoutes(asCore);
  registerSessionRoutes(asCore, deps);
  registerGrantRoutes(asCore, deps);
  registerEventRoutes(asCore, deps);
  registerMirrorRoutes(asCore, deps);
  registerStorageRoutes(asCore, deps);
  return app;
}
